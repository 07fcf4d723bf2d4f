// Side by side with squawk on the labelled corpus in ./corpus (cases.json).
// Run: scripts/run-source.sh bench/migrations/squawk-compare.ts
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LintCatalog, lintMigrations, lintRules } from '@voicehive/db-migrations';
import { saveResult } from './results-file.js';

interface Case {
  id: string;
  file: string;
  label: 'safe' | 'unsafe';
  expectedRule: string | null;
  squawkRule: string | null;
  transactional: boolean;
  pgVersion: string;
  previous?: string[];
  catalog?: LintCatalog;
}

const corpusDir = fileURLToPath(new URL('./corpus/', import.meta.url));
const squawk = fileURLToPath(new URL('../../packages/migrations/node_modules/.bin/squawk', import.meta.url));
const { cases } = JSON.parse(readFileSync(join(corpusDir, 'cases.json'), 'utf8')) as { cases: Case[] };

// Both tools are scored on lock, rewrite and compatibility rules only. Timeouts are
// excluded for both: the runner sets lock_timeout/statement_timeout itself.
const OUR_HYGIENE = new Set(lintRules.filter((r) => r.anchor === 'H').map((r) => r.id));
const SQUAWK_EXCLUDED = new Set([
  'require-lock-timeout',
  'require-statement-timeout',
  'require-timeout-settings',
  'prefer-robust-stmts',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-big-int',
  'prefer-identity',
  'prefer-text-field',
  'prefer-timestamptz',
  'ban-char-field',
  'transaction-nesting',
  'identifier-too-long',
]);

const read = (f: string) => readFileSync(join(corpusDir, f), 'utf8');

interface Row {
  id: string;
  label: string;
  ours: string[];
  squawk: string[];
  oursVerdict: string;
  squawkVerdict: string;
  oursCorrect: boolean;
  squawkCorrect: boolean;
  oursMs: number;
  squawkMs: number;
}

const rows: Row[] = [];
await lintMigrations([{ name: 'warmup', sql: 'SELECT 1' }]);
for (const c of cases) {
  const t0 = performance.now();
  const seq = [
    ...(c.previous ?? []).map((p, i) => ({ name: `prev${i}`, sql: read(p), transactional: true })),
    { name: c.id, sql: read(c.file), transactional: c.transactional },
  ];
  const findings = await lintMigrations(seq, {
    serverVersion: c.pgVersion,
    lockTimeoutManaged: true,
    ...(c.catalog ? { catalog: c.catalog } : {}),
  });
  const oursMs = performance.now() - t0;
  const ours = [
    ...new Set(
      findings
        .filter((f) => f.migration === c.id && f.severity !== 'info' && !OUR_HYGIENE.has(f.rule))
        .map((f) => f.rule),
    ),
  ];

  const args = [
    '--reporter',
    'json',
    `--pg-version=${c.pgVersion}.0`,
    ...(c.transactional ? ['--assume-in-transaction'] : []),
    join(corpusDir, c.file),
  ];
  const t1 = performance.now();
  let out = '[]';
  try {
    out = execFileSync(squawk, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    out = (err as { stdout?: Buffer }).stdout?.toString() || '[]';
  }
  const squawkMs = performance.now() - t1;
  const sq = [
    ...new Set(
      (JSON.parse(out) as Array<{ rule_name: string }>).map((v) => v.rule_name).filter((r) => !SQUAWK_EXCLUDED.has(r)),
    ),
  ];
  const oursVerdict = ours.length ? 'unsafe' : 'safe';
  const squawkVerdict = sq.length ? 'unsafe' : 'safe';
  rows.push({
    id: c.id,
    label: c.label,
    ours,
    squawk: sq,
    oursVerdict,
    squawkVerdict,
    oursCorrect:
      oursVerdict === c.label && (c.label === 'safe' || c.expectedRule === null || ours.includes(c.expectedRule)),
    squawkCorrect: squawkVerdict === c.label,
    oursMs,
    squawkMs,
  });
}

const n = rows.length;
const oursRight = rows.filter((r) => r.oursCorrect).length;
const squawkRight = rows.filter((r) => r.squawkCorrect).length;
const agree = rows.filter((r) => r.oursVerdict === r.squawkVerdict).length;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const result = {
  cases: n,
  unsafeCases: rows.filter((r) => r.label === 'unsafe').length,
  safeCases: rows.filter((r) => r.label === 'safe').length,
  oursCorrect: oursRight,
  oursAccuracy: Number((oursRight / n).toFixed(3)),
  squawkCorrect: squawkRight,
  squawkAccuracy: Number((squawkRight / n).toFixed(3)),
  verdictAgreement: agree,
  speed: {
    oursTotalMs: Number(sum(rows.map((r) => r.oursMs)).toFixed(1)),
    squawkTotalMsIncludingProcessStart: Number(sum(rows.map((r) => r.squawkMs)).toFixed(1)),
  },
  oursWrong: rows.filter((r) => !r.oursCorrect).map((r) => ({ id: r.id, label: r.label, ours: r.ours })),
  squawkWrong: rows.filter((r) => !r.squawkCorrect).map((r) => ({ id: r.id, label: r.label, squawk: r.squawk })),
  disagreements: rows
    .filter((r) => r.oursVerdict !== r.squawkVerdict)
    .map((r) => ({ id: r.id, label: r.label, ours: r.ours, squawk: r.squawk })),
  rows: rows.map(({ oursMs, squawkMs, ...r }) => r),
};
process.stdout.write(`${JSON.stringify({ ...result, rows: undefined }, null, 2)}\n`);
saveResult('squawkComparison', result);
