import type { Options } from 'tsup';

/**
 * The one tsup configuration every package builds with: ESM only (Node 22.12+
 * loads it through require() too), declarations, and Node 24 as the target.
 */
export function packageBuild(entry: Record<string, string> = { index: 'src/index.ts' }): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
}
