import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../../..');
export const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
export const BUILT_CLI = resolve(import.meta.dirname, '../../dist/cli.js');
export const REGISTER_TS = join(REPO, 'scripts/register-source-hooks.mjs');

/**
 * `node` flags that run the CLI straight from the workspace's TypeScript:
 * the source export condition, type transformation (enums, parameter
 * properties) and the `.js` → `.ts` resolve hook.
 */
export const NODE_SOURCE_FLAGS = [
  '--conditions=@voicehive/source',
  '--experimental-transform-types',
  '--disable-warning=ExperimentalWarning',
  '--import',
  REGISTER_TS,
];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Why the build under `packagesDir` cannot stand in for the source, or
 * undefined when it can: the suite's `dist/cli.js` and the `dist/` of every
 * workspace package it loads at run time (its `workspace:` dependencies,
 * transitively) exist and are newer than every file in their `src/` and
 * their package.json. A stale build is never used.
 */
export function staleBuildReason(packagesDir = join(REPO, 'packages')): string | undefined {
  const byName = new Map<string, { dir: string; deps: string[] }>();
  for (const entry of readdirSync(packagesDir)) {
    const manifest = join(packagesDir, entry, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; dependencies?: Record<string, string> };
    const deps = Object.entries(pkg.dependencies ?? {})
      .filter(([, v]) => v.startsWith('workspace:'))
      .map(([k]) => k);
    byName.set(pkg.name, { dir: join(packagesDir, entry), deps });
  }
  const suite = '@voicehive/db-reliability-suite';
  const todo = [suite];
  const seen = new Set<string>();
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const pkg = byName.get(name);
    if (!pkg) return `${name} is not in ${packagesDir}`;
    const outputs = name === suite ? ['dist/cli.js', 'dist/cli-wal.js', 'dist/index.js'] : ['dist/index.js'];
    for (const out of outputs) {
      const file = join(pkg.dir, out);
      if (!existsSync(file)) return `${name} has no ${out}`;
      const built = statSync(file).mtimeMs;
      const edited = Math.max(newestMtime(join(pkg.dir, 'src')), statSync(join(pkg.dir, 'package.json')).mtimeMs);
      if (edited > built) return `${name}/${out} is older than its sources`;
    }
    todo.push(...pkg.deps);
  }
  return undefined;
}

/**
 * How the tests start `dbrs`. From the build when it is fresh (CI runs
 * `pnpm build` first), since type-stripping the whole workspace makes every
 * child start several times slower; from source otherwise.
 * `DBRS_TEST_CLI=source` forces the source.
 */
export const CLI_LAUNCH: { mode: 'dist' | 'source'; reason: string; argv: string[] } = (() => {
  if (process.env['DBRS_TEST_CLI'] === 'source')
    return { mode: 'source', reason: 'DBRS_TEST_CLI=source', argv: [...NODE_SOURCE_FLAGS, CLI] };
  const stale = staleBuildReason();
  return stale === undefined
    ? { mode: 'dist', reason: 'the build is newer than every source file', argv: [BUILT_CLI] }
    : { mode: 'source', reason: stale, argv: [...NODE_SOURCE_FLAGS, CLI] };
})();

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output is navigated freely in assertions.
  json<T = any>(): T;
}

export function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [...CLI_LAUNCH.argv, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}
