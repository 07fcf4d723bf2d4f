import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleBuildReason } from './support/run-cli.js';
import { scratchDir } from './support/suite-helpers.js';

/** The CLI tests run the build only when it is fresh; this is the rule that decides. */
describe('staleBuildReason (when the CLI tests may use dist/cli.js)', () => {
  let dir: ReturnType<typeof scratchDir>;
  afterEach(() => dir.remove());

  const past = new Date(Date.now() - 60_000);
  const now = new Date();
  function pkg(root: string, folder: string, name: string, deps: Record<string, string>, outputs: string[]) {
    const p = join(root, folder);
    mkdirSync(join(p, 'src/sub'), { recursive: true });
    mkdirSync(join(p, 'dist'), { recursive: true });
    writeFileSync(join(p, 'package.json'), JSON.stringify({ name, dependencies: deps }));
    writeFileSync(join(p, 'src/sub/a.ts'), 'export {};');
    for (const f of [join(p, 'package.json'), join(p, 'src/sub/a.ts')]) utimesSync(f, past, past);
    for (const out of outputs) writeFileSync(join(p, out), '');
    return p;
  }
  function tree() {
    dir = scratchDir('dbrs-launch-');
    const suite = pkg(
      dir.path,
      'suite',
      '@voicehive/db-reliability-suite',
      { '@voicehive/db-core': 'workspace:*', croner: '11.0.1' },
      ['dist/cli.js', 'dist/cli-wal.js', 'dist/index.js'],
    );
    const core = pkg(dir.path, 'core', '@voicehive/db-core', {}, ['dist/index.js']);
    // Not a run-time dependency of the suite: its state must not matter.
    pkg(dir.path, 'testing', '@voicehive/db-testing', {}, []);
    return { suite, core };
  }

  it('accepts a build newer than every source file of the suite and its workspace dependencies', () => {
    tree();
    expect(staleBuildReason(dir.path)).toBeUndefined();
  });

  it('refuses when a nested source file of a dependency changed after its build', () => {
    const { core } = tree();
    utimesSync(join(core, 'src/sub/a.ts'), now, new Date(Date.now() + 5_000));
    expect(staleBuildReason(dir.path)).toBe('@voicehive/db-core/dist/index.js is older than its sources');
  });

  it('refuses when the suite’s package.json changed, or a dependency was never built', () => {
    const { suite, core } = tree();
    utimesSync(join(suite, 'package.json'), now, new Date(Date.now() + 5_000));
    expect(staleBuildReason(dir.path)).toMatch(/db-reliability-suite\/dist\/.*older than its sources/);
    utimesSync(join(suite, 'package.json'), past, past);
    rmSync(join(core, 'dist'), { recursive: true });
    expect(staleBuildReason(dir.path)).toBe('@voicehive/db-core has no dist/index.js');
  });
});
