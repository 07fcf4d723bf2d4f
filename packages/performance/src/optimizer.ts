import { EventEmitter } from 'node:events';
import {
  createMetrics,
  type Database,
  DbrsError,
  errorMessage,
  Lifecycle,
  type Logger,
  quoteIdent,
  resolveDatabase,
  silentLogger,
  throwIfAborted,
} from '@voicehive/db-core';
import type pg from 'pg';
import type { QueryFinding } from './analysis/plan-findings.js';
import { findSeqScanHeavy } from './health/seq-scan.js';
import { PerformanceMetrics } from './metrics.js';
import { type Capabilities, detectCapabilities } from './monitor/capabilities.js';
import { SlowQueryDetector, type SlowQueryEvent, type SlowQueryEvents } from './monitor/slow-queries.js';
import { persistDeltas, SnapshotStore, type StatementDelta } from './monitor/snapshots.js';
import { mergeByQueryId, readStatements } from './monitor/statements.js';
import { type DatabasePerformanceOptimizerOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { readPgBouncerAdmin } from './pgbouncer/admin.js';
import { advisePoolSizes } from './pgbouncer/advice.js';
import {
  type AdvisorSection,
  openPlanSession,
  readAdvisorInputs,
  runAdvisorSection,
} from './report/advisor-section.js';
import { type CatalogSection, readCatalogSection } from './report/catalog.js';
import { createReportContext, type ReportContext, withSignal } from './report/context.js';
import { readFindingsSection } from './report/findings.js';
import { readHealthSection } from './report/health.js';
import { readStatementsSection } from './report/statements.js';
import type { PerformanceReport } from './report/types.js';
import { PSS_HOW_TO } from './report/warnings.js';
import { loadParser, normalizeSql } from './sql/parser.js';
import { AnalysisStore, type StoredAnalysis } from './store/analysis-store.js';

export type { AdvisorSummary, PerformanceReport, QuerySummary, SlowQuery } from './report/types.js';

export interface SnapshotResult {
  takenAt: string;
  entries: number;
  /** What ran since the previous snapshot (empty for the first). */
  deltas: StatementDelta[];
  slow: SlowQueryEvent[];
}

export type OptimizerInput = Database | pg.Pool | string | URL;

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
  readonly #store: AnalysisStore;
  #capabilities: Capabilities | undefined;
  // The shared lifecycle kit (core): memoised (concurrent callers share one run), retried initialise with a
  // signal; CLOSED after close().
  readonly #life = new Lifecycle<Capabilities>({
    name: 'performance optimizer',
    init: (signal) => this.#initialize(signal),
    dispose: async () => {
      if (this.#owned) await this.#db.close();
    },
  });

  constructor(db: OptimizerInput, options: DatabasePerformanceOptimizerOptions = {}) {
    super();
    this.#options = resolveOptions(options);
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'performance' });
    const resolved = resolveDatabase(db instanceof URL ? db.toString() : db, { logger: this.#logger });
    this.#db = resolved.database;
    this.#owned = resolved.owned;
    this.#metrics = new PerformanceMetrics(options.metrics ?? createMetrics(), this.#options.metricsTopQueries);
    this.#snapshots = new SnapshotStore(this.#options.snapshotRetention);
    this.#store = new AnalysisStore(this.#options.analysisTable);
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

  /**
   * Detects server version, extensions and privileges (and creates extensions when `createExtensions`).
   * Optional: every method initialises on first use. Idempotent; a failed attempt is retried by the next call.
   */
  initialize(options: { signal?: AbortSignal } = {}): Promise<Capabilities> {
    return this.#life.initialize(options);
  }

  async #initialize(signal: AbortSignal | undefined): Promise<Capabilities> {
    const options = signal ? { signal } : {};
    // The SQL parser is not loaded here: status reads the stored analysis and parses nothing (see loadParser).
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
    const caps = await this.#life.ready(options.signal);
    if (!this.#pssUsable(caps)) throw new DbrsError('EXTENSION_MISSING', PSS_HOW_TO);
    // The deltas' text and the metrics' labels are normalised (literals replaced) by the parser.
    await loadParser();
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

  /**
   * A fresh full report: statements, catalog, health, index advice and plan findings. It becomes the stored
   * analysis (see `getStoredAnalysis`). The planning session it opens is closed whatever happens, an abort
   * during the advisor included.
   */
  async getPerformanceReport(
    options: {
      signal?: AbortSignal;
      /** False: skip the index advisor and plan findings (no planning at all), e.g. for a quick status. Default true. */
      advise?: boolean;
      /**
       * Where the report goes as the stored analysis: `all` (memory and the analysis table, default), `memory`
       * (a read that must create nothing), `none` (a partial report, e.g. without the advisor).
       */
      store?: 'all' | 'memory' | 'none';
    } = {},
  ): Promise<PerformanceReport> {
    const caps = await this.#life.ready(options.signal);
    const ctx = createReportContext({
      db: this.#db,
      caps,
      opts: this.#options,
      logger: this.#logger,
      signal: options.signal,
    });
    // The catalog does not depend on the statements: it is read (on two more connections of the pool) while
    // pg_stat_statements is, with its warnings kept apart and added after the statements' own.
    const catalogCtx = ctx.fork();
    const catalogPending = readCatalogSection(catalogCtx);
    catalogPending.catch(() => {});
    let stmts: Awaited<ReturnType<typeof readStatementsSection>>;
    try {
      stmts = await readStatementsSection(ctx, this.#detector, this.#pssUsable(caps));
    } catch (err) {
      await catalogPending.catch(() => {});
      throw err;
    }
    this.#metrics.recordStatements(stmts.statements);
    // advisor.enabled false (the original's indexing.auto_recommendations): no planning session, no advice.
    const advise = this.#options.advisor.enabled && options.advise !== false && stmts.statements.length > 0;
    // The planning session's connection and pg_qualstats' reading do not depend on the catalog: they run while
    // it is read. Rejections (only an abort) must not go unhandled meanwhile.
    const sessionPending = advise ? openPlanSession(ctx) : Promise.resolve(undefined);
    sessionPending.catch(() => {});
    const inputsPending = advise ? readAdvisorInputs(ctx) : undefined;
    inputsPending?.catch(() => {});
    let catalog: CatalogSection;
    try {
      catalog = await catalogPending;
    } catch (err) {
      await (await sessionPending.catch(() => undefined))?.close();
      throw err;
    } finally {
      catalogCtx.join();
    }
    // Health runs on the pool while the advisor plans on its own session (on 10,000 tables the two took ~0.7 s
    // and ~1 s one after the other). A rejection (only an abort) must not go unhandled if the advisor throws first.
    const healthPending = readHealthSection(ctx);
    healthPending.catch(() => {});

    let advice: AdvisorSection | undefined;
    let queryFindings: QueryFinding[] = [];
    let planningTrips = 0;
    const session = await sessionPending;
    try {
      if (advise && inputsPending) {
        advice = await runAdvisorSection(ctx, {
          statements: stmts.statements,
          catalog,
          session,
          inputs: inputsPending,
        });
        if (advice.canExplain !== null && this.#capabilities) this.#capabilities.canExplain = advice.canExplain;
      }
      queryFindings = await readFindingsSection(ctx, {
        byTotal: stmts.byTotal,
        shown: stmts.shown,
        tables: catalog.tables,
        advisor: advice?.advisor,
        session,
      });
    } finally {
      planningTrips = session?.roundTrips ?? 0;
      await session?.close();
    }

    const health = await healthPending;
    const seqScanHeavyTables = findSeqScanHeavy(catalog.tables, this.#options.health.seqScanMinTupRead);
    if (health.cacheHitRatio) this.#metrics.recordCache(health.cacheHitRatio);
    this.#metrics.recordIndexUsage(catalog.tables);
    this.#metrics.recordPool(this.#db.pool);
    const pgbouncer = await this.#readPgBouncer(ctx);
    const advisor = advice?.advisor;
    const report: PerformanceReport = {
      slowQueries: stmts.slowQueries,
      topQueries: stmts.topQueries,
      indexRecommendations: advisor?.recommendations ?? [],
      unusedIndexes: catalog.unusedIndexes,
      duplicateIndexes: catalog.duplicateIndexes,
      invalidIndexes: catalog.invalidIndexes,
      missingFkIndexes: catalog.missingFkIndexes,
      ...health,
      seqScanHeavyTables,
      queryFindings,
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
        ...(advice?.summary ?? {
          qualstats: null,
          dropAnalysis: 'not-run' as const,
          dropAnalysisMethod: null,
          dropAnalysisFailed: [],
        }),
        whatIfCalls: advisor?.whatIfCalls ?? 0,
        durationMs: advisor?.durationMs ?? 0,
      },
      warnings: ctx.warnings,
      capabilities: this.#capabilities ?? caps,
      roundTrips: ctx.runner.count + planningTrips,
      timings: ctx.timings,
      generatedAt: new Date().toISOString(),
    };
    if (options.store === 'none') return report;
    if (options.store === 'memory') {
      this.#store.remember(report);
      return report;
    }
    try {
      await this.#store.save(this.#db, report, withSignal(options.signal));
    } catch (err) {
      this.#logger.warn({ event: 'analysis_store_failed', err }, 'could not store the analysis; kept in memory');
    }
    return report;
  }

  /**
   * The latest stored analysis (this process's, or the analysis table's when configured and newer) with its
   * age, without running anything else: what status pages read. Null when there is none yet; with `maxAgeMs`,
   * an older one counts as none.
   */
  async getStoredAnalysis(options: { signal?: AbortSignal; maxAgeMs?: number } = {}): Promise<StoredAnalysis | null> {
    // A read of the store needs no capabilities: no initialisation, so a status read stays one query.
    this.#life.assertOpen();
    throwIfAborted(options.signal, 'stored analysis read');
    const latest = await this.#store.latest(this.#db, withSignal(options.signal));
    if (latest && options.maxAgeMs !== undefined && latest.ageMs > options.maxAgeMs) return null;
    return latest;
  }

  /** Runs a fresh report and stores it (what the maintenance cycle calls); resolves to the stored analysis. */
  async refreshAnalysis(options: { signal?: AbortSignal } = {}): Promise<StoredAnalysis> {
    const report = await this.getPerformanceReport(options);
    return {
      report,
      generatedAt: report.generatedAt,
      ageMs: Date.now() - Date.parse(report.generatedAt),
      source: 'memory',
    };
  }

  async #readPgBouncer(ctx: ReportContext): Promise<PerformanceReport['pgbouncer']> {
    const url = this.#options.pgbouncerAdminUrl;
    if (!url) return null;
    try {
      const snapshot = await readPgBouncerAdmin(url, withSignal(ctx.signal));
      return { snapshot, advice: advisePoolSizes(snapshot) };
    } catch (err) {
      const message = errorMessage(err);
      ctx.warnings.push(`pgbouncer: ${message}`);
      return { snapshot: null, advice: [], error: message };
    }
  }

  /** Idempotent; waits for an initialisation in flight. Any use afterwards is CLOSED. */
  close(): Promise<void> {
    return this.#life.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
