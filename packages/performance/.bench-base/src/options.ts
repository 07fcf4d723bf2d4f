import { DbrsError, type Logger, type Metrics } from '@voicehive/db-core';
import { stripUndefined } from '@voicehive/db-core/internal';

/** Index advisor settings. Every field has a default (shown). */
export interface AdvisorOptions {
  /**
   * Run the index advisor in reports (the original's
   * `performance.indexing.auto_recommendations`). When false, reports carry
   * no index recommendations and plan nothing. Default true.
   */
  enabled?: boolean;
  /** Most indexes recommended per report. Default 10. */
  maxIndexes?: number;
  /** Total size budget of recommended indexes, bytes. Default 10 GiB. */
  maxTotalBytes?: number;
  /**
   * Tables with fewer rows (pg_class.reltuples) get no recommendation: a
   * sequential scan of a small table is as fast as an index. Default 1000
   * (PgHero uses 500, pganalyze 10 MB).
   */
  minTableRows?: number;
  /** A statement counts as helped only when its planner cost drops by this fraction. Default 0.2. */
  minStatementImprovement?: number;
  /**
   * A validated recommendation must remove at least this fraction of the whole workload's
   * calls-weighted planner cost. Default 0.0001 (0.01%): it drops indexes that pass the per-statement rules
   * yet barely matter (the 1 GB benchmark's widened bookings(guest_id, check_in_date DESC) removed 0.0056%),
   * while on a workload spread evenly over N tables each useful index (≈ 1/N of the cost) passes up to
   * N ≈ 10,000. 1% would drop every index once N passes ~100, and with 0.1% the benchmark's 1,000-table
   * workload got no recommendation at all (979 with 0.01%). Raise it on workloads dominated by a few statements.
   */
  minCostReduction?: number;
  /**
   * Statements whose baseline planner cost is below this are ignored, and a statement only counts as
   * helped when an index saves at least this much per call. Default 10 (Dexter uses 100 for the first).
   */
  minStatementCost?: number;
  /** Statements with fewer calls are ignored. Default 1. */
  minCalls?: number;
  /** Widest composite index proposed. Default 3. */
  maxColumns?: number;
  /** Most statements (by total time) the advisor plans. Default 500. */
  maxStatements?: number;
  /**
   * Planner cost units charged, for each recommended index on a table, per
   * row the workload's INSERT/UPDATE/DELETE statements wrote to that table
   * (pg_stat_statements `rows`, the same window as the reads): the write
   * penalty that keeps write-heavy tables lean. Default 1.
   */
  writeCostPerRow?: number;
  /** statement_timeout for each EXPLAIN, ms. Default 5000. */
  explainTimeoutMs?: number;
  /**
   * What-if drop analysis: hide existing indexes from the planner, plan the workload again, and report what
   * each index's removal would cost (`workloadCostIncreaseIfDropped`, `slowerIfDropped`). Default true.
   */
  dropAnalysis?: boolean;
  /**
   * How indexes are hidden. `auto` (default): `hypopg_hide_index` when hypopg ≥ 1.4 is created in the
   * database; otherwise, when the role is a superuser on a primary, `UPDATE pg_index SET indisvalid = false`
   * inside a transaction that is always rolled back (no other session sees it; the transaction holds the
   * pg_index row and AccessShareLock on the planned tables for the few EXPLAINs it runs, with a 1 s
   * lock_timeout). `hypopg`: only hypopg_hide_index, never a catalog write.
   */
  dropAnalysisMethod?: 'auto' | 'hypopg';
  /**
   * Which indexes are hidden. `suspects` (default): the unused and redundant ones found from statistics.
   * `workload`: also every non-constraint index the workload's plans use, to find indexes the workload does
   * not need because another index serves its plans as well (reported in `duplicateIndexes` with
   * kind `workload`); one EXPLAIN per statement on the table per index.
   */
  dropAnalysisScope?: 'suspects' | 'workload';
  /**
   * Read run-time predicates from pg_qualstats (when it is preloaded and created in the database): they add
   * candidate columns the statement text does not show (through views), observed selectivity for the heuristic
   * mode, and counts in the evidence. Default true.
   */
  useQualstats?: boolean;
}

export interface SlowQueryThresholds {
  /** Mean time at which a statement is reported as slow (warning). Default 500 ms. */
  warningMs?: number;
  /** Mean time for critical. Default 1000 ms. */
  criticalMs?: number;
  /**
   * The original's slow_query_threshold_ms. A statement whose mean time reaches the lower of this and
   * `warningMs` is slow (severity warning); `criticalMs` makes it critical. Default 1000 ms.
   */
  slowQueryThresholdMs?: number;
}

export interface AnalysisOptions {
  /** How many of the costliest statements get plan findings. Default 10. */
  topStatements?: number;
  /** Tables at or above this many rows count as large. Default 10,000. */
  largeTableRows?: number;
  /**
   * Allow EXPLAIN ANALYZE (it executes the statement) for estimate-error
   * findings; only parameterless SELECTs, in a read-only transaction that is
   * rolled back. Enable on replicas. Default false.
   */
  allowExplainAnalyze?: boolean;
}

export interface HealthThresholds {
  /** Cache hit ratio below this is a warning. Default 0.99 (PgHero). */
  cacheHitRatioWarning?: number;
  /** Connections in use / usable max above this is a warning. Default 0.8. */
  connectionsWarningRatio?: number;
  /** Sequence used fraction above this is reported. Default 0.75. */
  sequenceWarningRatio?: number;
  /** Transaction-id age above this is reported. Default 1,000,000,000. */
  wraparoundWarningAge?: number;
  /** A statement running longer is "long-running". Default 60,000 ms. */
  longRunningMs?: number;
  /** An idle-in-transaction session older than this is reported. Default 300,000 ms. */
  idleInTransactionMs?: number;
  /** Bloat below this many bytes is not reported. Default 10 MiB. */
  minBloatBytes?: number;
  /** seq-scan-heavy tables must have read at least this many rows sequentially. Default 1,000,000. */
  seqScanMinTupRead?: number;
}

export interface DatabasePerformanceOptimizerOptions {
  logger?: Logger;
  /** Where metrics go; default: a private registry. */
  metrics?: Metrics;
  advisor?: AdvisorOptions;
  slowQueries?: SlowQueryThresholds;
  analysis?: AnalysisOptions;
  health?: HealthThresholds;
  /** Rows in `topQueries`. Default 20. */
  topQueries?: number;
  /** Highest number of query ids used as metric labels. Default 20. */
  metricsTopQueries?: number;
  /** Snapshots kept in memory for deltas. Default 288 (a day at 5-minute snapshots). */
  snapshotRetention?: number;
  /**
   * Also append every snapshot delta to this table (`schema.table`, created if missing) so history
   * survives restarts. Only query ids and counters are stored, never text. Default: memory only.
   */
  snapshotTable?: string;
  /** Create pg_stat_statements / hypopg in initialize() when available and permitted. Default false. */
  createExtensions?: boolean;
  /** Admin console URL (postgres://user@host:port/pgbouncer) whose stats go into the report. Default none. */
  pgbouncerAdminUrl?: string;
  /**
   * Keep the suite's own statements (tagged `/* dbrs *\/`, and pg_dump's `COPY … TO stdout`) in slow queries,
   * top queries, metrics and the advisor's workload. Default false.
   */
  includeSuiteStatements?: boolean;
  /**
   * Keep the latest analysis (the whole report) in this table (`schema.table`, created if missing) as well as in
   * memory, so a status read in another process (`dbrs status`) answers from it without running the advisor.
   * Default: memory only.
   */
  analysisTable?: string;
}

type Req<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export interface ResolvedOptions {
  advisor: Req<AdvisorOptions>;
  slowQueries: Req<SlowQueryThresholds>;
  analysis: Req<AnalysisOptions>;
  health: Req<HealthThresholds>;
  topQueries: number;
  metricsTopQueries: number;
  snapshotRetention: number;
  createExtensions: boolean;
  pgbouncerAdminUrl: string | undefined;
  includeSuiteStatements: boolean;
  analysisTable: { schema: string; table: string } | undefined;
  snapshotTable: { schema: string; table: string } | undefined;
}

export const DEFAULT_ADVISOR: Req<AdvisorOptions> = {
  enabled: true,
  maxIndexes: 10,
  maxTotalBytes: 10 * 1024 ** 3,
  minTableRows: 1000,
  minStatementImprovement: 0.2,
  minCostReduction: 0.0001,
  minStatementCost: 10,
  minCalls: 1,
  maxColumns: 3,
  maxStatements: 500,
  writeCostPerRow: 1,
  explainTimeoutMs: 5000,
  dropAnalysis: true,
  dropAnalysisMethod: 'auto',
  dropAnalysisScope: 'suspects',
  useQualstats: true,
};

function positive(path: string, value: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `${path} must be a non-negative ${integer ? 'whole number' : 'number'}, got ${String(value)}.`,
      {
        hint: 'Fix the value in the optimizer options.',
      },
    );
  }
  return value;
}

export function resolveOptions(o: DatabasePerformanceOptimizerOptions = {}): ResolvedOptions {
  const advisor = { ...DEFAULT_ADVISOR, ...stripUndefined(o.advisor) };
  for (const k of ['maxIndexes', 'minTableRows', 'minCalls', 'maxColumns', 'maxStatements'] as const)
    positive(`advisor.${k}`, advisor[k], true);
  for (const k of [
    'maxTotalBytes',
    'minStatementCost',
    'writeCostPerRow',
    'explainTimeoutMs',
    'minCostReduction',
  ] as const)
    positive(`advisor.${k}`, advisor[k]);
  if (advisor.minStatementImprovement < 0 || advisor.minStatementImprovement > 1) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `advisor.minStatementImprovement must be in [0, 1] (1: only an index that removes the whole cost), got ${advisor.minStatementImprovement}.`,
    );
  }
  if (advisor.minCostReduction >= 1) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `advisor.minCostReduction is a fraction of the workload's cost and must be below 1, got ${advisor.minCostReduction}.`,
      { hint: 'Use e.g. 0.01 for 1%.' },
    );
  }
  if (!['auto', 'hypopg'].includes(advisor.dropAnalysisMethod))
    throw new DbrsError(
      'CONFIG_INVALID',
      `advisor.dropAnalysisMethod must be 'auto' or 'hypopg', got ${JSON.stringify(advisor.dropAnalysisMethod)}.`,
    );
  if (!['suspects', 'workload'].includes(advisor.dropAnalysisScope))
    throw new DbrsError(
      'CONFIG_INVALID',
      `advisor.dropAnalysisScope must be 'suspects' or 'workload', got ${JSON.stringify(advisor.dropAnalysisScope)}.`,
    );
  if (advisor.maxColumns < 1) throw new DbrsError('CONFIG_INVALID', 'advisor.maxColumns must be at least 1.');
  const slowQueries = {
    warningMs: 500,
    criticalMs: 1000,
    slowQueryThresholdMs: 1000,
    ...stripUndefined(o.slowQueries),
  };
  for (const [k, v] of Object.entries(slowQueries)) positive(`slowQueries.${k}`, v);
  if (slowQueries.criticalMs < slowQueries.warningMs) {
    throw new DbrsError('CONFIG_INVALID', 'slowQueries.criticalMs must be at least slowQueries.warningMs.');
  }
  const analysis = {
    topStatements: 10,
    largeTableRows: 10_000,
    allowExplainAnalyze: false,
    ...stripUndefined(o.analysis),
  };
  const health = {
    cacheHitRatioWarning: 0.99,
    connectionsWarningRatio: 0.8,
    sequenceWarningRatio: 0.75,
    wraparoundWarningAge: 1_000_000_000,
    longRunningMs: 60_000,
    idleInTransactionMs: 300_000,
    minBloatBytes: 10 * 1024 * 1024,
    seqScanMinTupRead: 1_000_000,
    ...stripUndefined(o.health),
  };
  for (const [k, v] of Object.entries(health)) positive(`health.${k}`, v);
  return {
    advisor,
    slowQueries,
    analysis,
    health,
    topQueries: positive('topQueries', o.topQueries ?? 20, true),
    metricsTopQueries: positive('metricsTopQueries', o.metricsTopQueries ?? 20, true),
    snapshotRetention: positive('snapshotRetention', o.snapshotRetention ?? 288, true),
    createExtensions: o.createExtensions ?? false,
    snapshotTable: o.snapshotTable === undefined ? undefined : parseQualifiedName(o.snapshotTable, 'snapshotTable'),
    pgbouncerAdminUrl: o.pgbouncerAdminUrl,
    includeSuiteStatements: o.includeSuiteStatements ?? false,
    analysisTable: o.analysisTable === undefined ? undefined : parseQualifiedName(o.analysisTable, 'analysisTable'),
  };
}

function parseQualifiedName(name: string, option: string): { schema: string; table: string } {
  const m = /^(?:([A-Za-z_][A-Za-z0-9_$]*)\.)?([A-Za-z_][A-Za-z0-9_$]*)$/.exec(name);
  if (!m) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `${option} must be "table" or "schema.table" with plain identifiers, got ${JSON.stringify(name)}.`,
      {
        hint: 'Use letters, digits and underscores, e.g. "dbrs.statement_deltas".',
      },
    );
  }
  return { schema: m[1] ?? 'public', table: m[2]! };
}
