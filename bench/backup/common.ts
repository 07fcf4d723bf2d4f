// What the backup benchmarks share: where the built packages are, the measured child process,
// timing a command, sizes. Each benchmark (run.ts, wal-archive.ts, pitr-restore.ts) is a script of
// its own; RESULTS.md is rendered from all their JSON files by results-md.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const backupDist = join(ROOT, 'packages/backup/dist/index.js');
export const coreDist = join(ROOT, 'packages/core/dist/index.js');
export const testingDist = join(ROOT, 'packages/testing/dist/index.js');

export type Json = Record<string, unknown>;

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

// Every measured Node operation runs in child.mjs (plain JS: see its header), so its peak RSS is its own.
const childScript = join(HERE, 'child.mjs');

export function runChild(mode: string, payload: Json): Json {
  const r = spawnSync(process.execPath, [childScript, mode, JSON.stringify({ backupDist, ...payload })], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

/** Wall time of one command, in ms (its stderr goes to ours). */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  execFileSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t;
}

export function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + dirBytes(join(p, f)), 0);
}

export const mb = (b: number) => Math.round((b / 1e6) * 10) / 10;
export const s = (ms: number) => Math.round(ms / 10) / 100;
