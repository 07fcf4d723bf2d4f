import { EventEmitter } from 'node:events';
import {
  createMetrics,
  type Database,
  DbrsError,
  isDbrsError,
  type Logger,
  type QueryOptions,
  quoteIdent,
  resolveDatabase,
  silentLogger,
  throwIfAborted,
} from '@voicehive/db-core';
import type pg from 'pg';
import { type AdvisorResult, type IndexRecommendation, runAdvisor } from './advisor/advisor.js';
import { readStatementShape, type StatementShape } from './advisor/parse-statement.js';
import { type HideMethod, type PlanNode, PlanSession } from './advisor/plan-session.js';
import { type QualstatsReading, readQualstats } from './advisor/qualstats.js';
import { findingsFor, type QueryFinding } from './analysis/plan-findings.js';
import {
  type IndexInfo,
  loadIndexDefinitions,
  loadIndexes,
  loadTables,
  type SqlRunner,
  type TableInfo,
  tableKey,
  withIndexScans,
} from './catalog/catalog.js';
import { type BloatReport, estimateBloat } from './health/bloat.js';
import { type CacheHitRatio, readCacheHitRatio } from './health/cache.js';
import { type ConnectionsReport, readConnections } from './health/connections.js';
import {
  type DuplicateIndex,
  findDuplicateIndexes,
  findInvalidIndexes,
  findMissingFkIndexes,
  findUnusedIndexes,
  type InvalidIndex,
  type MissingFkIndex,
  type UnusedIndex,
  workloadDuplicate,
} from './health/indexes.js';
import { findSeqScanHeavy, type SeqScanHeavyTable } from './health/seq-scan.js';
import { readSequences, type SequencesReport } from './health/sequences.js';
import { readWraparound, type WraparoundReport } from './health/wraparound.js';
import { PerformanceMetrics } from './metrics.js';
import { type ActivityReport, readActivity } from './monitor/activity.js';
import { type Capabilities, detectCapabilities } from './monitor/capabilities.js';
import { SlowQueryDetector, type SlowQueryEvent, type SlowQueryEvents } from './monitor/slow-queries.js';
import { persistDeltas, SnapshotStore, type StatementDelta } from './monitor/snapshots.js';
import { mergeByQueryId, readStatements, type StatementStats } from './monitor/statements.js';
import { type PerformanceOptimizerOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type PgBouncerSnapshot, readPgBouncerAdmin } from './pgbouncer/admin.js';
import { advisePoolSizes, type PoolAdvice } from './pgbouncer/advice.js';
import { loadParser, normalizeSql } from './sql/parser.js';

export interface QuerySummary {
  queryHash: string;
  /** Normalised: every literal replaced by $n. */
  query: string;
  calls: number;
  totalTimeMs: number;
  meanTimeMs: number;
  maxTimeMs: number;
  rows: number;
  /** shared_buffers hit ratio of this statement; null before any block access. */
  cacheHitRatio: number | null;
  tempBlksWritten: number;
}

export interface SlowQuery extends QuerySummary {
  severity: 'warning' | 'critical';
  table: string | null;
}

export interface AdvisorSummary {
  mode: AdvisorResult['mode'] | 'unavailable';
  statementsAnalysed: number;
  weightedBaselineCost: number | null;
  weightedCostWithRecommendations: number | null;
  skipped: AdvisorResult['skipped'];
  /** Tables of the workload whose statistics are stale: ANALYZE them before acting on the advice. */
  staleStatistics: AdvisorResult['staleStatistics'];
  /**
   * pg_qualstats' part: predicates read, statements they matched, column uses they added, and the sample rate
   * in force; null when pg_qualstats was not read.
   */
  qualstats: (NonNullable<AdvisorResult['qualstats']> & { sampleRate: number | null }) | null;
  /**
   * What-if drop analysis of unused and redundant indexes: `done`, `unsupported` (no hypopg_hide_index, which
   * needs hypopg 1.4, and the role is not a superuser on a primary, or `dropAnalysisMethod: 'hypopg'`), `off`
   * (option), or `not-run` (the advisor could not plan).
   */
  dropAnalysis: 'done' | 'unsupported' | 'off' | 'not-run';
  /** How indexes were hidden when `dropAnalysis` is `done`. */
  dropAnalysisMethod: HideMethod | null;
  /** Indexes whose what-if drop failed, with the reason; they carry no `workloadCostIncreaseIfDropped`. */
  dropAnalysisFailed: { index: string; error: string }[];
  whatIfCalls: number;
  durationMs: number;
}

export interface PerformanceReport {
  slowQueries: SlowQuery[];
  topQueries: QuerySummary[];
  indexRecommendations: IndexRecommendation[];
  unusedIndexes: UnusedIndex[];
  duplicateIndexes: DuplicateIndex[];
  invalidIndexes: InvalidIndex[];
  missingFkIndexes: MissingFkIndex[];
  cacheHitRatio: CacheHitRatio | null;
  connections: ConnectionsReport | null;
  bloat: BloatReport | null;
  sequences: SequencesReport | null;
  wraparound: WraparoundReport | null;
  seqScanHeavyTables: SeqScanHeavyTable[];
  queryFindings: QueryFinding[];
  activity: ActivityReport | null;
  /** Present when a PgBouncer admin URL is configured; `error` when it could not be read. */
  pgbouncer: { snapshot: PgBouncerSnapshot | null; advice: PoolAdvice[]; error?: string } | null;
  advisor: AdvisorSummary;
  /** What could not be seen or done, each with how to fix it. */
  warnings: string[];
  capabilities: Capabilities;
  /** SQL round trips this report made (pool + planning session). */
  roundTrips: number;
  /** Milliseconds per report section, for finding what is slow on a large catalog. */
  timings: Record<string, number>;
  generatedAt: string;
}

export interface SnapshotResult {
  takenAt: string;
  entries: number;
  /** What ran since the previous snapshot (empty for the first). */
  deltas: StatementDelta[];
  slow: SlowQueryEvent[];
}

export type OptimizerInput = Database | pg.Pool | string | URL;

class CountingRunner implements SqlRunner {
  count = 0;
  constructor(private readonly db: Database) {}
  async query<R extends Record<string, unknown>>(
    text: string,
    values?: unknown[],
    options?: QueryOptions,
  ): Promise<{ rows: R[] }> {
    this.count++;
    return this.db.query<R & pg.QueryResultRow>(text, values, options);
  }
}

/**
 * Functions EXPLAIN ANALYZE may run. A read-only transaction does not stop
 * functions with side effects (pg_stat_statements_reset, pg_terminate_backend,
 * advisory locks, pg_sleep), so anything not on this list is never executed.
 */
const SAFE_FUNCTIONS = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'bool_and',
  'bool_or',
  'array_agg',
  'string_agg',
  'json_agg',
  'jsonb_agg',
  'coalesce',
  'nullif',
  'greatest',
  'least',
  'lower',
  'upper',
  'length',
  'substring',
  'trim',
  'date_trunc',
  'date_part',
  'extract',
  'abs',
  'round',
  'floor',
  'ceil',
  'now',
  'current_date',
  'to_char',
]);

/** A parameterless SELECT over user tables only, calling only functions from SAFE_FUNCTIONS. */
function safeToExecute(shape: StatementShape, tables: Map<string, TableInfo>): boolean {
  if (shape.kind !== 'select' || shape.paramCount > 0 || shape.tables.length === 0) return false;
  if (!shape.functions.every((f) => SAFE_FUNCTIONS.has(f))) return false;
  return shape.tables.every((t) => tables.has(`${t.schema ?? 'public'}.${t.name}`));
}

const PSS_HOW_TO =
  "pg_stat_statements is not available: add it to shared_preload_libraries (postgresql.conf: shared_preload_libraries = 'pg_stat_statements', then restart) and run CREATE EXTENSION pg_stat_statements in this database. Query statistics, slow queries and index advice are missing from this report.";

/**
 * Query monitoring, workload-level index advice, index and cache health in
 * one report. Accepts a core Database, a pg.Pool or a URL; closes only what
 * it opened itself.
 */
export class DatabasePerformanceOptimizer extends EventEmitter<SlowQueryEvents> implements AsyncDisposable {
  readonly #db: Database;
  readonly #owned: boolean;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  readonly #metrics: PerformanceMetrics;
  readonly #detector: SlowQueryDetector;
  readonly #snapshots: SnapshotStore;
  #capabilities: Capabilities | undefined;
  #closed = false;

  constructor(db: OptimizerInput, options: PerformanceOptimizerOptions = {}) {
    super();
    this.#options = resolveOptions(options);
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'performance' });
    const resolved = resolveDatabase(db instanceof URL ? db.toString() : db, { logger: this.#logger });
    this.#db = resolved.database;
    this.#owned = resolved.owned;
    this.#metrics = new PerformanceMetrics(options.metrics ?? createMetrics(), this.#options.metricsTopQueries);
    this.#snapshots = new SnapshotStore(this.#options.snapshotRetention);
    const t = this.#options.slowQueries;
    // slow_query_threshold_ms (the original's name) is a floor for "slow" alongside warning_ms.
    const thresholds = { warningMs: Math.min(t.warningMs, t.slowQueryThresholdMs), criticalMs: t.criticalMs };
    this.#detector = new SlowQueryDetector(thresholds, this.#logger, (e) => {
      this.#metrics.slowQuery(e.severity);
      this.emit('slowQuery', e);
    });
  }

  get capabilities(): Capabilities | undefined {
    return this.#capabilities;
  }

  /** Detects server version, extensions and privileges (and creates extensions when `createExtensions`). */
  async initialize(options: { signal?: AbortSignal } = {}): Promise<Capabilities> {
    this.#assertOpen();
    await loadParser();
    let caps = await detectCapabilities(this.#db, options);
    if (this.#options.createExtensions) {
      let changed = false;
      for (const [name, state] of [
        ['pg_stat_statements', caps.pgStatStatements],
        ['hypopg', caps.hypopg],
      ] as const) {
        if (state.installed || !state.available) continue;
        try {
          await this.#db.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)}`, [], options);
          changed = true;
        } catch (err) {
          this.#logger.warn({ event: 'extension_create_failed', extension: name, err }, 'could not create extension');
        }
      }
      if (changed) caps = await detectCapabilities(this.#db, options);
    }
    this.#capabilities = caps;
    this.#logger.info(
      {
        event: 'performance_initialized',
        serverMajor: caps.serverMajor,
        pgStatStatements: caps.pgStatStatements.version ?? null,
        hypopg: caps.hypopg.version ?? null,
      },
      'performance optimizer initialised',
    );
    return caps;
  }

  #pssUsable(caps: Capabilities): boolean {
    return caps.pgStatStatements.installed && caps.pgStatStatements.preloaded;
  }

  /**
   * Reads pg_stat_statements and diffs it against the previous snapshot
   * (never resets anyone's statistics); slow statements in the window raise
   * `slowQuery` events and `slow_query_detected` log lines.
   */
  async takeSnapshot(options: { signal?: AbortSignal } = {}): Promise<SnapshotResult> {
    const caps = await this.#ensureInitialized(options);
    if (!this.#pssUsable(caps)) throw new DbrsError('EXTENSION_MISSING', PSS_HOW_TO);
    const entries = await readStatements(this.#db, caps.pgStatStatements, {
      ...options,
      includeSuiteStatements: this.#options.includeSuiteStatements,
    });
    const snap = this.#snapshots.add(entries);
    const deltas = this.#snapshots.latestDeltas().map((d) => ({ ...d, query: normalizeSql(d.query) }));
    const slow = this.#detector.evaluate(deltas, 'snapshot');
    if (this.#options.snapshotTable)
      await persistDeltas(this.#db, this.#options.snapshotTable, snap.takenAt, deltas, options);
    this.#metrics.recordStatements(mergeByQueryId(entries));
    return { takenAt: snap.takenAt.toISOString(), entries: entries.length, deltas, slow };
  }

  async getPerformanceReport(options: { signal?: AbortSignal } = {}): Promise<PerformanceReport> {
    const caps = await this.#ensureInitialized(options);
    const { signal } = options;
    const runner = new CountingRunner(this.#db);
    const warnings: string[] = [];
    const opts = this.#options;
    const timings: Record<string, number> = {};
    const section = async <T>(name: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
      throwIfAborted(signal, 'performance report');
      const started = performance.now();
      try {
        return await fn();
      } catch (err) {
        if (isDbrsError(err, 'ABORTED')) throw err;
        const message = err instanceof Error ? err.message : String(err);
        warnings.push(`${name}: ${message}`);
        this.#logger.warn({ event: 'report_section_failed', section: name, err }, 'report section failed');
        return fallback;
      } finally {
        timings[name] = Math.round((performance.now() - started) * 10) / 10;
      }
    };

    // Statements.
    let statements: StatementStats[] = [];
    if (this.#pssUsable(caps)) {
      statements = mergeByQueryId(
        await section(
          'pg_stat_statements',
          () =>
            readStatements(runner, caps.pgStatStatements, {
              ...(signal ? { signal } : {}),
              includeSuiteStatements: opts.includeSuiteStatements,
            }),
          [],
        ),
      );
      if (!caps.pgReadAllStats && !caps.superuser) {
        warnings.push(
          'Without pg_read_all_stats (or pg_monitor) other roles\' statements show "<insufficient privilege>": GRANT pg_monitor TO this role.',
        );
      }
    } else {
      warnings.push(PSS_HOW_TO);
    }
    const display = new Map<string, string>();
    const shown = (s: StatementStats): string => {
      const cached = display.get(s.queryid);
      if (cached !== undefined) return cached;
      const text = s.query.startsWith('<') ? s.query : normalizeSql(s.query);
      display.set(s.queryid, text);
      return text;
    };
    const summary = (s: StatementStats): QuerySummary => ({
      queryHash: s.queryid,
      query: shown(s),
      calls: s.calls,
      totalTimeMs: s.totalExecMs,
      meanTimeMs: s.meanExecMs,
      maxTimeMs: s.maxExecMs,
      rows: s.rows,
      cacheHitRatio:
        s.sharedBlksHit + s.sharedBlksRead > 0 ? s.sharedBlksHit / (s.sharedBlksHit + s.sharedBlksRead) : null,
      tempBlksWritten: s.tempBlksWritten,
    });
    const byTotal = [...statements].sort((a, b) => b.totalExecMs - a.totalExecMs);
    const topQueries = byTotal.slice(0, opts.topQueries).map(summary);
    const slowEvents = this.#detector.evaluate(
      byTotal.map((s) => ({ ...s, query: shown(s) })),
      'report',
    );
    const slowQueries: SlowQuery[] = slowEvents.map((e) => ({
      ...summary(statements.find((s) => s.queryid === e.queryHash)!),
      severity: e.severity,
      table: e.table,
    }));
    this.#metrics.recordStatements(statements);

    // Catalog.
    const tables = await section('tables', () => loadTables(runner, { signal }), [] as TableInfo[]);
    const indexes = await section('indexes', () => loadIndexes(runner, { signal }), [] as IndexInfo[]);
    withIndexScans(tables, indexes);
    const statsSince = await section(
      'stats_reset',
      async () =>
        (
          await runner.query<{ t: string | null }>(
            'SELECT stats_reset::text AS t FROM pg_stat_database WHERE datname = current_database()',
            [],
            { signal },
          )
        ).rows[0]?.t ?? null,
      null,
    );
    {
      // Definitions only for the indexes the report names (pg_get_indexdef on every index is slow on big catalogs).
      const named = new Set<string>();
      for (const u of findUnusedIndexes(indexes, statsSince)) named.add(`${u.schema}.${u.index}`);
      for (const d of findDuplicateIndexes(indexes))
        named.add(`${d.schema}.${d.index}`).add(`${d.schema}.${d.coveredBy}`);
      const wanted = indexes.filter((i) => !i.valid || named.has(`${i.schema}.${i.name}`));
      await section('index_definitions', () => loadIndexDefinitions(runner, wanted, { signal }), undefined);
    }
    const unusedIndexes = findUnusedIndexes(indexes, statsSince);
    const duplicateIndexes = findDuplicateIndexes(indexes);
    const invalidIndexes = await section('invalid_indexes', () => findInvalidIndexes(runner, indexes, { signal }), []);
    const missingFkIndexes = await section('foreign_keys', () => findMissingFkIndexes(runner, indexes, { signal }), []);

    // Health reads only the catalog and statistics views, on the pool: it runs while the advisor plans on its
    // own session (on 10,000 tables the two took ~0.7 s and ~1 s one after the other).
    const readHealth = async () => {
      const h = opts.health;
      const cacheHitRatio = await section(
        'cache_hit_ratio',
        () => readCacheHitRatio(runner, h.cacheHitRatioWarning, { signal }),
        null,
      );
      const connections = await section(
        'connections',
        () => readConnections(runner, h.connectionsWarningRatio, { signal }),
        null,
      );
      const bloat = await section('bloat', () => estimateBloat(runner, h.minBloatBytes, { signal }), null);
      if (bloat && bloat.skippedWithoutStats > 0 && bloat.estimates.length === 0 && !caps.superuser) {
        warnings.push(
          `Bloat estimates skipped for ${bloat.skippedWithoutStats} relation(s): pg_stats shows no statistics to this role (needs SELECT on the tables, or ANALYZE has not run).`,
        );
      }
      const sequences = await section(
        'sequences',
        () => readSequences(runner, h.sequenceWarningRatio, { signal }),
        null,
      );
      if (sequences && sequences.unreadable > 0) {
        warnings.push(
          `${sequences.unreadable} sequence(s) not readable: GRANT SELECT ON ALL SEQUENCES IN SCHEMA … (or USAGE) to check them for exhaustion.`,
        );
      }
      const wraparound = await section(
        'wraparound',
        () => readWraparound(runner, h.wraparoundWarningAge, { signal }),
        null,
      );
      const activity = await section('activity', () => readActivity(runner, h, { signal }), null);
      return { cacheHitRatio, connections, bloat, sequences, wraparound, activity };
    };
    const healthPending = readHealth();
    // Awaited after the advisor; a rejection (only an abort) must not go unhandled if the advisor throws first.
    healthPending.catch(() => {});

    // Advisor.
    let advisor: AdvisorResult | undefined;
    let session: PlanSession | undefined;
    let qualstatsSummary: AdvisorSummary['qualstats'] = null;
    let dropAnalysis: AdvisorSummary['dropAnalysis'] = 'not-run';
    let dropAnalysisMethod: AdvisorSummary['dropAnalysisMethod'] = null;
    let dropAnalysisFailed: AdvisorSummary['dropAnalysisFailed'] = [];
    // advisor.enabled false (the original's indexing.auto_recommendations): no planning session, no advice.
    if (opts.advisor.enabled && statements.length > 0) {
      try {
        session = await PlanSession.open(this.#db, {
          serverMajor: caps.serverMajor,
          timeoutMs: opts.advisor.explainTimeoutMs,
          hideIndexes: opts.advisor.dropAnalysis ? opts.advisor.dropAnalysisMethod : 'off',
          ...(caps.hypopg.installed && caps.hypopg.schema ? { hypopgSchema: caps.hypopg.schema } : {}),
        });
      } catch (err) {
        warnings.push(`Planning session: ${(err as Error).message}`);
      }
      if (!caps.hypopg.installed) {
        warnings.push(
          caps.hypopg.available
            ? 'hypopg is installed on the server but not created in this database: run CREATE EXTENSION hypopg (or pass createExtensions: true) to validate index advice with the planner; advice is heuristic (validated: false).'
            : `hypopg is not installed: index advice is heuristic (validated: false). Install hypopg on the server (Debian/Ubuntu: apt-get install postgresql-${caps.serverMajor}-hypopg; on a managed service, check its supported-extension list) and run CREATE EXTENSION hypopg.`,
        );
      }
      let qualstats: QualstatsReading | undefined;
      const qs = caps.pgQualstats;
      if (opts.advisor.useQualstats && qs.installed && qs.preloaded) {
        qualstats = await section(
          'pg_qualstats',
          () => readQualstats(runner, qs.schema ?? 'public', { signal }),
          undefined,
        );
      } else if (opts.advisor.useQualstats && qs.preloaded && !qs.installed) {
        warnings.push(
          'pg_qualstats is preloaded but not created in this database: run CREATE EXTENSION pg_qualstats so index advice also uses the predicates seen at run time.',
        );
      }
      const dropCandidates = indexes.filter(
        (i) =>
          unusedIndexes.some((u) => u.index === i.name && u.schema === i.schema) ||
          duplicateIndexes.some((d) => d.index === i.name && d.schema === i.schema),
      );
      advisor = await section(
        'index_advisor',
        () =>
          runAdvisor(statements, {
            db: runner,
            options: opts,
            logger: this.#logger,
            tables,
            indexes,
            session,
            dropCandidates,
            ...(qualstats ? { qualstats: qualstats.predicates } : {}),
            ...(signal ? { signal } : {}),
          }),
        undefined,
      );
      if (advisor) {
        if (advisor.qualstats && qualstats)
          qualstatsSummary = { ...advisor.qualstats, sampleRate: qualstats.sampleRate };
        const denied = advisor.skipped.explainFailed.filter((f) => /permission denied/i.test(f.error)).length;
        if (denied > 0) {
          if (this.#capabilities) this.#capabilities.canExplain = false;
          warnings.push(
            `${denied} statement(s) could not be planned: permission denied. EXPLAIN needs SELECT on the tables; GRANT SELECT ON ALL TABLES IN SCHEMA … TO this role to get index advice and plan findings (pg_monitor alone does not allow it).`,
          );
        } else if (advisor.plans.size > 0 && this.#capabilities) this.#capabilities.canExplain = true;
        const toDrop = unusedIndexes.length > 0 || duplicateIndexes.length > 0;
        if (advisor.drops) dropAnalysis = 'done';
        else if (!opts.advisor.dropAnalysis) dropAnalysis = 'off';
        else if (session) dropAnalysis = 'unsupported';
        if (dropAnalysis === 'unsupported' && toDrop) {
          const hypopg = caps.hypopg.installed
            ? `hypopg ${caps.hypopg.version ?? '(unknown version)'} has no hypopg_hide_index, which needs hypopg 1.4 or newer (install a newer package, e.g. from apt.postgresql.org, then DROP EXTENSION hypopg; CREATE EXTENSION hypopg, which is safe as hypopg keeps no data)`
            : 'hypopg is not created in this database (hypopg_hide_index needs hypopg 1.4 or newer)';
          const catalog =
            opts.advisor.dropAnalysisMethod === 'hypopg'
              ? "dropAnalysisMethod is 'hypopg', so the rolled-back pg_index method is not used"
              : 'the rolled-back pg_index method needs a superuser on a writable primary';
          warnings.push(
            `What-if drop analysis skipped: ${hypopg}, and ${catalog}; unused and duplicate indexes are reported from statistics only, without workloadCostIncreaseIfDropped.`,
          );
        }
        for (const t of advisor.staleStatistics)
          warnings.push(
            `Statistics of ${t.table} are stale (${t.modifiedSinceAnalyze} of ~${t.rows} rows modified since the last ANALYZE, ${t.lastAnalyzed ?? 'never analysed'}): run ANALYZE ${t.table} first, then ask for advice again; plans and index advice for it are computed from those statistics.`,
          );
        if (advisor.skipped.unparseable > 0)
          warnings.push(
            `${advisor.skipped.unparseable} statement(s) skipped: text could not be parsed or is hidden (<insufficient privilege>: GRANT pg_read_all_stats).`,
          );
        const failedOther = advisor.skipped.explainFailed.length - denied;
        if (failedOther > 0)
          warnings.push(
            `${failedOther} statement(s) failed EXPLAIN and were skipped (see advisor.skipped.explainFailed).`,
          );
        const drops = advisor.drops;
        if (drops) {
          dropAnalysisMethod = drops.method;
          dropAnalysisFailed = drops.failed;
          for (const entry of [...unusedIndexes, ...duplicateIndexes]) {
            const i = indexes.find((x) => x.name === entry.index && x.schema === entry.schema);
            const impact = i && drops.impacts.get(i.oid);
            if (!impact) continue;
            entry.workloadCostIncreaseIfDropped = impact.costIncrease;
            entry.slowerIfDropped = impact.slowerStatements;
          }
          if (drops.notNeeded.length > 0) {
            const named = drops.notNeeded.flatMap((n) => [n.index, n.replacedBy]);
            await section('index_definitions', () => loadIndexDefinitions(runner, named, { signal }), undefined);
            for (const { index, replacedBy } of drops.notNeeded) {
              const impact = drops.impacts.get(index.oid)!;
              duplicateIndexes.push({
                ...workloadDuplicate(index, replacedBy),
                workloadCostIncreaseIfDropped: impact.costIncrease,
                slowerIfDropped: impact.slowerStatements,
              });
            }
          }
        }
      }
    }

    // Plan findings for the costliest statements.
    const queryFindings: QueryFinding[] = [];
    const tablesByKey = new Map(tables.map((t) => [tableKey(t.schema, t.name), t]));
    for (const s of byTotal.slice(0, opts.analysis.topStatements)) {
      const parsed = readStatementShape(s.query);
      const shape = parsed.ok ? parsed.shape : undefined;
      let analyzedPlan: PlanNode | undefined;
      if (opts.analysis.allowExplainAnalyze && session && shape && safeToExecute(shape, tablesByKey)) {
        const out = await session.explainAnalyzeReadOnly(s.query).catch(() => undefined);
        if (out?.ok) analyzedPlan = out.plan;
      }
      queryFindings.push(
        ...findingsFor(
          {
            queryHash: s.queryid,
            query: shown(s),
            shape,
            plan: advisor?.plans.get(s.queryid),
            tempBlksWritten: s.tempBlksWritten,
            calls: s.calls,
            ...(analyzedPlan ? { analyzedPlan } : {}),
          },
          tablesByKey,
          opts.analysis.largeTableRows,
        ),
      );
    }
    const planningTrips = session?.roundTrips ?? 0;
    await session?.close();

    // Health.
    const { cacheHitRatio, connections, bloat, sequences, wraparound, activity } = await healthPending;
    const h = opts.health;
    const seqScanHeavyTables = findSeqScanHeavy(tables, h.seqScanMinTupRead);
    if (cacheHitRatio) this.#metrics.recordCache(cacheHitRatio);
    this.#metrics.recordIndexUsage(tables);
    this.#metrics.recordPool(this.#db.pool);

    let pgbouncer: PerformanceReport['pgbouncer'] = null;
    if (opts.pgbouncerAdminUrl) {
      try {
        const snapshot = await readPgBouncerAdmin(opts.pgbouncerAdminUrl, { ...(signal ? { signal } : {}) });
        pgbouncer = { snapshot, advice: advisePoolSizes(snapshot) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        pgbouncer = { snapshot: null, advice: [], error: message };
        warnings.push(`pgbouncer: ${message}`);
      }
    }

    return {
      slowQueries,
      topQueries,
      indexRecommendations: advisor?.recommendations ?? [],
      unusedIndexes,
      duplicateIndexes,
      invalidIndexes,
      missingFkIndexes,
      cacheHitRatio,
      connections,
      bloat,
      sequences,
      wraparound,
      seqScanHeavyTables,
      queryFindings,
      activity,
      pgbouncer,
      advisor: {
        mode: advisor?.mode ?? 'unavailable',
        statementsAnalysed: advisor?.workload.statements ?? 0,
        weightedBaselineCost: advisor?.workload.weightedBaselineCost ?? null,
        weightedCostWithRecommendations: advisor?.workload.weightedCostWithRecommendations ?? null,
        skipped: advisor?.skipped ?? {
          unparseable: 0,
          notApplicable: 0,
          explainFailed: [],
          smallTables: [],
          coveredCandidates: [],
          belowMinCostReduction: [],
        },
        staleStatistics: advisor?.staleStatistics ?? [],
        qualstats: qualstatsSummary,
        dropAnalysis,
        dropAnalysisMethod,
        dropAnalysisFailed,
        whatIfCalls: advisor?.whatIfCalls ?? 0,
        durationMs: advisor?.durationMs ?? 0,
      },
      warnings,
      capabilities: this.#capabilities ?? caps,
      roundTrips: runner.count + planningTrips,
      timings,
      generatedAt: new Date().toISOString(),
    };
  }

  async #ensureInitialized(options: { signal?: AbortSignal }): Promise<Capabilities> {
    this.#assertOpen();
    return this.#capabilities ?? (await this.initialize(options));
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new DbrsError('CLOSED', 'The performance optimizer is closed.', { hint: 'Create a new one.' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
