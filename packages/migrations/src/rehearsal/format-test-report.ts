import { type LockMode, lockLabel } from '../lint/ast.js';
import type { ScratchCopy } from './scratch-database.js';
import type { MigrationTestEntry, MigrationTestReport } from './test-migrations.js';

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Which copy the durations were measured on: without rows a rewrite of a big table takes milliseconds. */
export function describeCopy(copy: ScratchCopy | undefined): string {
  if (!copy) return 'no scratch copy was made';
  const size = copy.sourceBytes !== undefined ? ` (source user tables ${mb(copy.sourceBytes)})` : '';
  if (copy.kind === 'schema')
    return 'schema only, no rows: lock and rewrite durations say nothing about the real tables (use --with-data)';
  if (copy.kind === 'full') return `full copy of the data${size}, ${copy.tables.length} table(s)`;
  const partial = copy.tables
    .filter((t) => t.sourceRows !== null && t.copiedRows !== undefined && t.sourceRows > t.copiedRows)
    .map((t) => {
      const pct = ((t.copiedRows! / Math.max(1, t.sourceRows!)) * 100).toFixed(1);
      return `${t.table} ${t.copiedRows} of ~${t.sourceRows} rows (${pct}%)`;
    });
  return `sample of at most ${copy.sampleRows} rows per table${size}${
    partial.length
      ? `; partial: ${partial.join(', ')} — durations of statements on these grow with the rows`
      : '; every table copied whole'
  }`;
}

function oneLine(sql: string, max = 100): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function ms(n: number | undefined): string {
  return `${Math.round(n ?? 0)} ms`;
}

function yesNo(v: boolean | null): string {
  return v === null ? 'not checked' : v ? 'yes' : 'NO';
}

function entryLines(e: MigrationTestEntry): string[] {
  const times = [`up ${ms(e.upMs)}`];
  if (e.downMs !== undefined) times.push(`down ${ms(e.downMs)}`);
  if (e.reapplyMs !== undefined) times.push(`re-up ${ms(e.reapplyMs)}`);
  const out = [
    `${e.name} (${e.transactional ? 'transactional' : 'no transaction'}): ${times.join(', ')}; down restores the schema: ${yesNo(e.rollbackMatches)}; re-up matches: ${yesNo(e.reapplyMatches)}`,
  ];
  if (e.impact) {
    out.push(
      `  probes on ${e.impact.tables.join(', ')}: ${e.impact.probes} probes, ${e.impact.blockedSessions} session(s) blocked, worst ${ms(e.impact.worstProbeLatencyMs)}${e.impact.failedProbes ? `, ${e.impact.failedProbes} failed` : ''}`,
    );
  }
  for (const s of e.statements) {
    out.push(`  #${s.index} ${ms(s.durationMs).padStart(9)}  ${oneLine(s.sql)}`);
    // Sorted: pg_locks has no order, and a stable line is easier to compare between runs.
    const locks = [...s.locks]
      .sort((a, b) => a.relation.localeCompare(b.relation))
      .map((l) => `${l.relation} ${lockLabel(l.mode as LockMode)}${l.newRelation ? ' (new, blocks nobody)' : ''}`);
    const details = [
      `locks: ${locks.length ? locks.join(', ') : 'none on existing tables'}`,
      ...(s.rewrites.length ? [`rewrites: ${s.rewrites.join(', ')}`] : []),
      ...(s.reindexed.length ? [`rebuilds indexes: ${s.reindexed.join(', ')}`] : []),
      ...(s.error ? [`error: ${s.error}`] : []),
    ];
    out.push(`      ${details.join('; ')}`);
  }
  if (e.error) out.push(`  failed: ${e.error}`);
  return out;
}

/** The plain-text report of `migrate test`: the copy, then per migration its timings, probes and lock trace. */
export function formatTestReportHuman(report: MigrationTestReport): string {
  const head = [
    `Migration test ${report.success ? 'passed' : 'FAILED'} in ${ms(report.durationMs)} on ${report.scratchDatabase || 'no scratch database'} (${report.scratchDropped ? 'dropped' : 'NOT dropped'}).`,
    `Copy: ${describeCopy(report.copy)}.`,
  ];
  const body = report.migrations.length
    ? report.migrations.flatMap((e) => ['', ...entryLines(e)])
    : ['', 'No pending migrations.'];
  return [...head, ...body, ...(report.errorMessage ? ['', `Error: ${report.errorMessage}`] : [])].join('\n');
}
