import type { PerformanceReport, QuerySummary } from '@voicehive/db-performance';
import { formatBytes, formatCount, formatMs, formatPercent, shortSql } from '../format/units.js';
import type { IssueSeverity, StatusIssue } from './types.js';

/** Fewer calls than this (in pg_stat_statements' window) is a one-off, not recurring load. */
export const RECURRING_MIN_CALLS = 10;

/**
 * Statements that run once in a while by nature (DDL, bulk loads, maintenance): however long
 * they took, they are not the workload, so they never outrank a statement that runs all day.
 */
const ONE_OFF_STATEMENT =
  /^\s*(create|alter|drop|copy|vacuum|analyze|reindex|cluster|refresh|truncate|grant|revoke|comment|lock|do|call|checkpoint|load|import|security|set|reset|discard|begin|commit|rollback|savepoint|release|prepare|deallocate|listen|notify)\b/i;

export function isOneOff(q: Pick<QuerySummary, 'query' | 'calls'>): boolean {
  return q.calls < RECURRING_MIN_CALLS || ONE_OFF_STATEMENT.test(q.query);
}

export interface PerformanceIssueOptions {
  /** Mean time that makes a recurring statement slow (warning). */
  warningMs: number;
}

/**
 * Every finding of a performance report as a status issue. Severity comes
 * from impact: recurring load (calls × mean) for statements, how close to
 * the limit for sequences, wraparound and connections; one-off statements
 * are at most info. Sessions (long-running, idle in transaction, blocked)
 * are read live by the suite, not from this possibly older report.
 */
export function performanceIssues(r: PerformanceReport, o: PerformanceIssueOptions): StatusIssue[] {
  return [
    ...statementIssues(r, o),
    ...sequenceIssues(r),
    ...wraparoundIssues(r),
    ...connectionIssues(r),
    ...cacheIssues(r),
    ...indexIssues(r),
    ...recommendationIssues(r),
    ...bloatIssues(r),
    ...planIssues(r),
    ...r.warnings.map(
      (w): StatusIssue => ({
        severity: 'info',
        component: 'performance',
        key: `performance.warning:${w.slice(0, 60)}`,
        message: w,
        action: 'The message says how to fix it.',
      }),
    ),
  ];
}

function statementIssues(r: PerformanceReport, o: PerformanceIssueOptions): StatusIssue[] {
  const byHash = new Map<string, QuerySummary>();
  for (const q of [...r.topQueries, ...r.slowQueries]) byHash.set(q.queryHash, q);
  const total = [...byHash.values()].reduce((a, q) => a + q.totalTimeMs, 0);
  const out: StatusIssue[] = [];
  for (const q of byHash.values()) {
    if (q.meanTimeMs < o.warningMs) continue;
    const oneOff = isOneOff(q);
    const share = total > 0 ? q.totalTimeMs / total : 0;
    const severity: IssueSeverity = oneOff ? 'info' : 'warning';
    out.push({
      severity,
      component: 'performance',
      key: `performance.slow-query:${q.queryHash}`,
      fullText: `queries/${encodeURIComponent(q.queryHash)}`,
      // One-off statements sort below every recurring one of the same severity.
      impact: oneOff ? 0 : q.totalTimeMs,
      section: 'queries',
      message: oneOff
        ? `One-off statement took ${formatMs(q.meanTimeMs)} (${formatCount(q.calls)} call${q.calls === 1 ? '' : 's'}): ${shortSql(q.query)}`
        : `Slow recurring query: ${formatCount(q.calls)} calls × ${formatMs(q.meanTimeMs)} mean = ${formatMs(q.totalTimeMs)} of database time (${formatPercent(share, 0)} of the top statements): ${shortSql(q.query)}`,
      action: oneOff
        ? 'Nothing to do unless it recurs; schedule such statements off-peak.'
        : 'Open it on the queries page for its plan; add the recommended index or rewrite it (`dbrs performance recommend`).',
    });
  }
  return out.sort((a, b) => (b.impact ?? 0) - (a.impact ?? 0));
}

function sequenceIssues(r: PerformanceReport): StatusIssue[] {
  return (r.sequences?.nearExhaustion ?? []).map((s) => {
    const left = s.maxValue - s.lastValue;
    const column = s.column ?? `${s.schema}.${s.sequence}`;
    const [schema, table, col] = (s.column ?? '').split('.');
    return {
      severity: s.usedRatio >= 0.95 ? 'critical' : s.usedRatio >= 0.85 ? 'warning' : 'info',
      component: 'performance',
      key: `performance.sequence:${s.schema}.${s.sequence}`,
      impact: s.usedRatio,
      section: 'maintenance',
      message: `Sequence ${s.schema}.${s.sequence} (${column}) is ${formatPercent(s.usedRatio)} used: ${formatCount(left)} values left before ${formatCount(s.maxValue)}; inserts fail after that.`,
      action: 'Widen the column to bigint (a table rewrite: plan it, or add a bigint column and switch over).',
      ...(schema && table && col
        ? {
            sql: `ALTER TABLE "${schema}"."${table}" ALTER COLUMN "${col}" TYPE bigint; ALTER SEQUENCE "${s.schema}"."${s.sequence}" AS bigint;`,
          }
        : {}),
    } satisfies StatusIssue;
  });
}

function wraparoundIssues(r: PerformanceReport): StatusIssue[] {
  const w = r.wraparound;
  if (!w?.warning) return [];
  const oldest = w.oldestTables[0];
  return [
    {
      severity: w.xidRemaining < 10_000_000 ? 'critical' : 'warning',
      component: 'performance',
      key: 'performance.wraparound',
      impact: w.xidAge,
      section: 'maintenance',
      message: `Transaction ID age of ${w.database} is ${formatCount(w.xidAge)} (${formatCount(w.xidRemaining)} left before PostgreSQL stops accepting writes).`,
      action: 'VACUUM (FREEZE) the oldest tables first and end long-running transactions that hold back the horizon.',
      ...(oldest ? { sql: `VACUUM (FREEZE, VERBOSE) "${oldest.schema}"."${oldest.table}";` } : {}),
    },
  ];
}

function connectionIssues(r: PerformanceReport): StatusIssue[] {
  const c = r.connections;
  if (!c?.warning) return [];
  return [
    {
      severity: c.usedRatio >= 0.95 ? 'critical' : 'warning',
      component: 'performance',
      key: 'performance.connections',
      impact: c.usedRatio,
      section: 'connections',
      message: `${formatCount(c.total)} connections of ${formatCount(c.maxConnections)} max_connections in use (${formatPercent(c.usedRatio, 0)} of the usable slots).`,
      action:
        'Put pgBouncer in transaction mode in front (`dbrs pgbouncer config`) or lower the pool sizes of the applications.',
    },
  ];
}

function cacheIssues(r: PerformanceReport): StatusIssue[] {
  const c = r.cacheHitRatio;
  if (!c?.belowThreshold) return [];
  const parts = (['tables', 'indexes'] as const)
    .filter((k) => c[k] !== null && c[k]! < c.threshold)
    .map((k) => `${k} ${formatPercent(c[k]!)}`);
  return [
    {
      severity: 'warning',
      component: 'performance',
      key: 'performance.cache-hit-ratio',
      section: 'overview',
      message: `Cache hit ratio below ${formatPercent(c.threshold, 0)}: ${parts.join(', ')}; reads go to disk.`,
      action:
        'Look at the queries reading the most blocks (queries page) for missing indexes; if the working set is simply larger than memory, raise shared_buffers.',
    },
  ];
}

function indexIssues(r: PerformanceReport): StatusIssue[] {
  const out: StatusIssue[] = [];
  for (const d of r.duplicateIndexes) {
    out.push({
      severity: d.kind === 'exact' ? 'warning' : 'info',
      component: 'performance',
      key: `performance.duplicate-index:${d.schema}.${d.index}`,
      impact: d.sizeBytes,
      section: 'space',
      message: `Index ${d.schema}.${d.index} (${formatBytes(d.sizeBytes)}) is ${d.kind === 'exact' ? 'an exact duplicate of' : d.kind === 'prefix' ? 'a prefix of' : 'replaceable, for this workload, by'} ${d.coveredBy}; every write maintains both.`,
      action: 'Drop the redundant index (CONCURRENTLY, outside a transaction).',
      sql: `${d.dropSql.replace(/;?\s*$/, '')};`,
    });
  }
  for (const u of r.unusedIndexes) {
    out.push({
      severity: 'info',
      component: 'performance',
      key: `performance.unused-index:${u.schema}.${u.index}`,
      impact: u.sizeBytes,
      section: 'space',
      message: `Index ${u.schema}.${u.index} on ${u.table} (${formatBytes(u.sizeBytes)}) has not been used since ${u.statsSince ?? 'the statistics were reset'} on this node${u.slowerIfDropped?.length ? `; ${u.slowerIfDropped.length} statement(s) would get slower without it` : ''}.`,
      action: 'Check replicas too (counters are per node), then drop it.',
      sql: `${u.dropSql.replace(/;?\s*$/, '')};`,
    });
  }
  for (const i of r.invalidIndexes) {
    out.push({
      severity: 'warning',
      component: 'performance',
      key: `performance.invalid-index:${i.schema}.${i.index}`,
      impact: i.sizeBytes,
      section: 'space',
      message: `Index ${i.schema}.${i.index} on ${i.table} is invalid (a failed CREATE INDEX CONCURRENTLY): it is never used but still slows writes.`,
      action: 'Drop it and build it again.',
      sql: i.fix,
    });
  }
  for (const f of r.missingFkIndexes) {
    out.push({
      severity: 'info',
      component: 'performance',
      key: `performance.fk-index:${f.schema}.${f.table}.${f.constraint}`,
      section: 'index-recommendations',
      message: `Foreign key ${f.constraint} on ${f.schema}.${f.table} (${f.columns.join(', ')}) has no index: deletes on ${f.referencedTable} scan the whole table.`,
      action: 'Create the index if rows of the referenced table are deleted or its key updated.',
      sql: `${f.createSql.replace(/;?\s*$/, '')};`,
    });
  }
  return out;
}

function recommendationIssues(r: PerformanceReport): StatusIssue[] {
  return r.indexRecommendations
    .filter((x) => x.priority <= 2)
    .map((x) => ({
      severity: x.priority === 1 ? 'warning' : 'info',
      component: 'performance',
      key: `performance.recommendation:${x.table}(${x.columns.join(',')})`,
      impact: x.estimatedCostReduction ?? 0,
      section: 'index-recommendations',
      message: `Missing index on ${x.table} (${x.columns.join(', ')})${x.estimatedCostReduction !== null ? `, ${formatPercent(x.estimatedCostReduction)} less workload cost` : ''}: ${x.evidence}`,
      action: 'Create it (CONCURRENTLY does not block writes).',
      sql: `${x.createSql.replace(/;?\s*$/, '')};`,
    }));
}

function bloatIssues(r: PerformanceReport): StatusIssue[] {
  return (r.bloat?.estimates ?? [])
    .filter((b) => b.bloatRatio >= 0.5)
    .map((b) => {
      const name = b.kind === 'index' ? `${b.schema}.${b.index}` : `${b.schema}.${b.table}`;
      return {
        severity: 'info',
        component: 'performance',
        key: `performance.bloat:${name}`,
        impact: b.bloatBytes,
        section: 'maintenance',
        message: `${b.kind === 'index' ? 'Index' : 'Table'} ${name} is an estimated ${formatPercent(b.bloatRatio, 0)} bloat (${formatBytes(b.bloatBytes)} of ${formatBytes(b.actualBytes)}; an estimate from statistics).`,
        action:
          b.kind === 'index'
            ? 'Rebuild it without blocking writes.'
            : 'VACUUM returns the space for reuse only; pg_repack or VACUUM FULL (locks the table) shrinks it.',
        ...(b.kind === 'index' ? { sql: `REINDEX INDEX CONCURRENTLY "${b.schema}"."${b.index}";` } : {}),
      } satisfies StatusIssue;
    });
}

function planIssues(r: PerformanceReport): StatusIssue[] {
  const seq = r.seqScanHeavyTables.map(
    (t): StatusIssue => ({
      severity: 'info',
      component: 'performance',
      key: `performance.seq-scan:${t.schema}.${t.table}`,
      impact: t.seqTupRead,
      section: 'queries',
      message: `${t.schema}.${t.table} (${formatCount(t.liveRows)} rows) is read by sequential scans: ${formatCount(t.seqScan)} scans, ${formatCount(t.avgRowsPerScan)} rows each.`,
      action: 'See the index recommendations for the statements that scan it.',
    }),
  );
  const plans = r.queryFindings.map(
    (f): StatusIssue => ({
      severity: 'info',
      component: 'performance',
      key: `performance.plan:${f.queryHash}:${f.kind}`,
      section: 'queries',
      message: `${f.why} (${f.node}) in: ${shortSql(f.query, 120)}`,
      action: f.fix,
    }),
  );
  return [...seq, ...plans];
}
