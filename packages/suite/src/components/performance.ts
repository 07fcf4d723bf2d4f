import { quoteIdent } from '@voicehive/db-core';
import {
  DatabasePerformanceOptimizer,
  type DatabasePerformanceOptimizerOptions,
  loadSqlParser,
  normalizeSql,
  type PerformanceReport,
} from '@voicehive/db-performance';
import { performanceSections } from '../insights/performance-sections.js';
import { pruneStatementHistory, readQueryDetail } from '../insights/query-history.js';
import { performanceIssues } from '../status/performance-issues.js';
import type { SlowQueryRow } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';

/**
 * Where the latest analysis is kept (state schema), so that status — also `dbrs status` in another process —
 * answers from it instead of running the advisor; the maintenance cycle's `performance.analysis` task refreshes it.
 */
export const ANALYSIS_TABLE = 'dbrs_performance_analysis';
/** The per-query history the page charts: snapshot deltas (query ids and counters, no text), kept this long. */
export const STATEMENT_HISTORY_TABLE = 'dbrs_statement_history';
export const STATEMENT_HISTORY_DAYS = 30;

/** Where the snapshot deltas go: the state schema (`database.stateSchema`), with the suite's other tables. */
export function statementHistory(config: FeatureContext['config']): { schema: string; table: string } {
  return { schema: config.database.stateSchema, table: STATEMENT_HISTORY_TABLE };
}

/**
 * The optimizer's options and the snapshot interval from the `performance`
 * section. Every key is destructured and consumed; an unconsumed one is a
 * compile error.
 */
export function performancePlan(ctx: Pick<FeatureContext, 'config' | 'logger' | 'metrics'>): {
  optimizer: DatabasePerformanceOptimizerOptions;
  snapshotIntervalMs: number;
} {
  const {
    enabled: _builtWhenEnabled,
    slowQueryThresholdMs,
    warningMs,
    criticalMs,
    snapshotIntervalMs,
    topQueries,
    indexAdvisor,
    allowExplainAnalyze,
    ...unconsumed
  } = ctx.config.performance;
  unconsumed satisfies Record<string, never>;
  const { enabled, maxIndexes, maxIndexSizeBytes, minTableRows, ...advisorUnconsumed } = indexAdvisor;
  advisorUnconsumed satisfies Record<string, never>;
  return {
    optimizer: {
      logger: ctx.logger,
      metrics: ctx.metrics,
      slowQueries: { warningMs, criticalMs, slowQueryThresholdMs },
      topQueries,
      advisor: {
        enabled,
        maxIndexes,
        minTableRows,
        ...(maxIndexSizeBytes !== undefined ? { maxTotalBytes: maxIndexSizeBytes } : {}),
      },
      analysis: { allowExplainAnalyze },
      // Persisted so the page's per-query chart survives restarts and shows what other replicas measured.
      snapshotTable: `${statementHistory(ctx.config).schema}.${STATEMENT_HISTORY_TABLE}`,
      analysisTable: `${statementHistory(ctx.config).schema}.${ANALYSIS_TABLE}`,
    },
    snapshotIntervalMs,
  };
}

const formatAge = (ms: number): string =>
  ms < 90_000
    ? `${Math.max(0, Math.round(ms / 1000))} s`
    : ms < 5_400_000
      ? `${Math.round(ms / 60_000)} min`
      : `${Math.round(ms / 3_600_000)} h`;

// Long: the feature's factory: tasks, status and actions as short closures over one plan.
export const performanceFeature = (ctx: FeatureContext): FeatureFactoryResult<'performance'> => {
  const plan = performancePlan(ctx);
  const optimizer = new DatabasePerformanceOptimizer(ctx.database, plan.optimizer);
  const p = { snapshotIntervalMs: plan.snapshotIntervalMs };
  const history = statementHistory(ctx.config);
  let historySchema: Promise<void> | undefined;
  // The snapshot history and the stored analysis live in the state schema; it must exist before their first write.
  const ensureSchema = (signal: AbortSignal): Promise<void> => {
    historySchema ??= ctx.database
      .query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(history.schema)}`, [], { signal })
      .then(() => undefined)
      .catch((err) => {
        historySchema = undefined;
        throw err;
      });
    return historySchema;
  };
  let running: Promise<PerformanceReport> | undefined;
  // A fresh report, stored, one at a time: the maintenance cycle's.
  const fresh = async (signal?: AbortSignal): Promise<PerformanceReport> => {
    // Without the schema the report is still kept in memory (the optimizer logs that it could not store it).
    if (signal) await ensureSchema(signal).catch(() => undefined);
    running ??= optimizer.getPerformanceReport(signal ? { signal } : {}).finally(() => {
      running = undefined;
    });
    return running;
  };
  // The page and lists read the stored analysis (this process's or the table's, any age: its time is shown);
  // only when none exists yet do they run one.
  let readOnly: Promise<PerformanceReport> | undefined;
  const report = async (signal?: AbortSignal): Promise<PerformanceReport> => {
    const stored = await optimizer.getStoredAnalysis(signal ? { signal } : {});
    if (stored) return stored.report;
    // A read creates nothing: this report is kept in memory only (the maintenance cycle stores one in the table).
    readOnly ??= optimizer.getPerformanceReport({ ...(signal ? { signal } : {}), store: 'memory' }).finally(() => {
      readOnly = undefined;
    });
    return readOnly;
  };

  const component: FeatureComponent<'performance'> = {
    name: 'performance',
    instance: optimizer,
    initialize: async (signal) => {
      await optimizer.initialize({ signal });
    },
    // Never runs the advisor: status answers from the stored analysis (two small reads), whatever its age; with
    // none stored yet, from a quick report without the advisor (catalog, health and statements, no planning).
    async status(signal): Promise<FeatureStatus> {
      const stored = await optimizer.getStoredAnalysis(signal ? { signal } : {});
      const r =
        stored?.report ??
        (await optimizer.getPerformanceReport({ ...(signal ? { signal } : {}), advise: false, store: 'none' }));
      const { warningMs, slowQueryThresholdMs } = ctx.config.performance;
      const issues = performanceIssues(r, { warningMs: Math.min(warningMs, slowQueryThresholdMs) });
      if (!stored)
        issues.push({
          severity: 'info',
          component: 'performance',
          message: 'Index advice is not part of this status: no performance analysis is stored yet.',
          action:
            'Let the maintenance cycle run (its performance.analysis task stores one), or run `dbrs performance report`.',
        });
      return {
        status: issues.some((i) => i.severity !== 'info') ? 'degraded' : 'healthy',
        message: stored
          ? `${r.slowQueries.length} slow queries, ${r.indexRecommendations.length} index recommendations (analysis ${formatAge(stored.ageMs)} old)`
          : `${r.slowQueries.length} slow queries; index advice not analysed yet`,
        details: {
          slowQueries: r.slowQueries.length,
          indexRecommendations: r.indexRecommendations.length,
          cacheHitRatio: r.cacheHitRatio,
          unusedIndexes: r.unusedIndexes.length,
          reportAt: r.generatedAt,
          analysis: stored ? { source: stored.source, ageMs: stored.ageMs } : 'none',
        },
        issues,
      };
    },
    tasks() {
      return [
        {
          name: 'performance.snapshot',
          minIntervalMs: p.snapshotIntervalMs,
          async run(signal) {
            // The optimizer creates the history table on its first write; the schema must exist by then.
            await ensureSchema(signal);
            const s = await optimizer.takeSnapshot({ signal });
            const pruned = await pruneStatementHistory(ctx.database, history, signal, STATEMENT_HISTORY_DAYS);
            return { entries: s.entries, slow: s.slow.length, historyRowsPruned: pruned };
          },
        },
        {
          name: 'performance.analysis',
          minIntervalMs: p.snapshotIntervalMs,
          async run(signal) {
            const r = await fresh(signal);
            return {
              slowQueries: r.slowQueries.length,
              indexRecommendations: r.indexRecommendations.length,
              warnings: r.warnings.length,
            };
          },
        },
      ];
    },
    async slowQueries(signal): Promise<SlowQueryRow[]> {
      const r = await report(signal);
      // PgHero's "Queries" view: the slow ones, else the costliest by total time.
      const rows = r.slowQueries.length > 0 ? r.slowQueries : r.topQueries.slice(0, 10);
      return rows.map((q) => ({ query: q.query, calls: q.calls, meanMs: q.meanTimeMs, totalMs: q.totalTimeMs }));
    },
    async queryDetail(queryHash, signal) {
      const d = await readQueryDetail(ctx.database, { queryHash, historyTable: history, signal });
      // The text as the rest of the page shows it: constants pg_stat_statements left in are replaced too (the
      // parser is loaded on first use, not when the optimizer initialises).
      if (d?.query) await loadSqlParser();
      return d && { ...d, query: d.query === null ? null : normalizeSql(d.query) };
    },
    async pageSections(signal) {
      return performanceSections(await report(signal));
    },
    async indexRecommendations(signal) {
      const r = await report(signal);
      return r.indexRecommendations.map((x) => ({
        table: x.table,
        columns: x.columns,
        priority: x.priority,
        createSql: x.createSql,
        ...(x.estimatedCostReduction !== null ? { estimatedCostReduction: x.estimatedCostReduction } : {}),
        validated: x.validated,
      }));
    },
    close: () => optimizer.close(),
  };
  return { component };
};
