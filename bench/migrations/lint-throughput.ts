// Lint throughput on one core: statements per second through lintSql (parse + all rules),
// against squawk on the same text. Run: scripts/run-source.sh bench/migrations/lint-throughput.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintSql } from '@voicehive/db-migrations';
import { saveResult } from './results-file.js';

const corpusDir = fileURLToPath(new URL('./corpus/', import.meta.url));
const squawk = fileURLToPath(new URL('../../packages/migrations/node_modules/.bin/squawk', import.meta.url));
const statements = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.sql'))
  .flatMap((f) =>
    readFileSync(join(corpusDir, f), 'utf8')
      .split(/;\s*\n/)
      .map((s) => s.trim())
      .filter(Boolean),
  );

const perFile = 200;
const files = 50;
const text = Array.from({ length: perFile }, (_, i) => `${statements[i % statements.length]!.replace(/;$/, '')};`).join(
  '\n',
);
const total = perFile * files;

await lintSql('SELECT 1'); // load the WASM parser outside the timing
// The machine is shared: the 1-minute load average before and after says how much the numbers mean.
const loadBefore = loadavg()[0]!;
const runs: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  let findings = 0;
  for (let f = 0; f < files; f++) findings += (await lintSql(text, { transactional: true })).length;
  const dt = (performance.now() - t0) / 1000;
  runs.push(total / dt);
  if (r === 0) process.stdout.write(`findings per pass: ${findings}\n`);
}
const best = Math.max(...runs);
const median = runs.sort((a, b) => a - b)[1]!;

const dir = mkdtempSync(join(tmpdir(), 'dbrs-lint-bench-'));
const paths: string[] = [];
for (let f = 0; f < files; f++) {
  const p = join(dir, `m${String(f).padStart(3, '0')}.sql`);
  writeFileSync(p, text);
  paths.push(p);
}
const sq: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  try {
    // Pinned to one core, like our single-threaded linter (squawk may otherwise use several threads).
    execFileSync('taskset', ['-c', '0', squawk, '--reporter', 'json', ...paths], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 28,
    });
  } catch {
    // squawk exits 1 when it finds violations
  }
  sq.push(total / ((performance.now() - t0) / 1000));
}
const result = {
  statements: total,
  files,
  distinctStatements: statements.length,
  oursStatementsPerSecond: { median: Math.round(median), best: Math.round(best), runs: runs.map(Math.round) },
  squawkPinnedToOneCore: true,
  squawkStatementsPerSecond: { median: Math.round(sq.sort((a, b) => a - b)[1]!), runs: sq.map(Math.round) },
  target: 1000,
  meetsTarget: median >= 1000,
  loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) },
  measuredAt: new Date().toISOString(),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
saveResult('lintThroughput', result);

// Issue #14: one migration of 1,000 … 10,000 statements (lint time must stay linear), and a 10 MB migration.
const scaling: Array<{ statements: number; ms: number; perSecond: number; squawkMs: number }> = [];
for (const n of [1000, 2500, 5000, 10000]) {
  const big = Array.from({ length: n }, (_, i) => `${statements[i % statements.length]!.replace(/;$/, '')};`).join(
    '\n',
  );
  const t0 = performance.now();
  await lintSql(big, { transactional: true });
  const ms = performance.now() - t0;
  const p = join(dir, `one-${n}.sql`);
  writeFileSync(p, big);
  const s0 = performance.now();
  try {
    execFileSync('taskset', ['-c', '0', squawk, '--reporter', 'json', p], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 28,
    });
  } catch {
    // exit 1 on violations
  }
  scaling.push({
    statements: n,
    ms: Math.round(ms),
    perSecond: Math.round(n / (ms / 1000)),
    squawkMs: Math.round(performance.now() - s0),
  });
}
const row = "(1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')";
const rows = Math.ceil((10 * 1024 * 1024) / (row.length + 2));
const tenMb = `CREATE TABLE big (a int, b text);\nINSERT INTO big VALUES ${Array(rows).fill(row).join(',\n')};`;
const m0 = performance.now();
await lintSql(tenMb);
const tenMbMs = Math.round(performance.now() - m0);
const largeText = { scaling, tenMegabyteInsert: { bytes: tenMb.length, ms: tenMbMs } };
process.stdout.write(`${JSON.stringify(largeText, null, 2)}\n`);
saveResult('lintLargeText', largeText);
