import { quoteIdent } from '@voicehive/db-core';
import {
  DatabasePerformanceOptimizer,
  normalizeSql,
  type PerformanceOptimizerOptions,
  type PerformanceReport,
} from '@voicehive/db-performance';
import { performanceSections } from '../insights/performance-sections.js';
import { pruneStatementHistory, readQueryDetail } from '../insights/query-history.js';
import { performanceIssues } from '../status/performance-issues.js';
import type { SlowQueryRow } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';

/** A report older than this is recomputed for the status and the page. */
const REPORT_MAX_AGE_MS = 5 * 60_000;
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
  optimizer: PerformanceOptimizerOptions;
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
    },
    snapshotIntervalMs,
  };
}

export const performanceFeature = (ctx: FeatureContext): FeatureFactoryResult<'performance'> => {
  const plan = performancePlan(ctx);
  const optimizer = new DatabasePerformanceOptimizer(ctx.database, plan.optimizer);
  const p = { snapshotIntervalMs: plan.snapshotIntervalMs };
  const history = statementHistory(ctx.config);
  let historySchema: Promise<void> | undefined;
  let cached: { at: number; report: PerformanceReport } | undefined;
  let running: Promise<PerformanceReport> | undefined;
  // One report at a time: status, page and the maintenance cycle share it.
  const report = async (signal?: AbortSignal, fresh = false): Promise<PerformanceReport> => {
    if (!fresh && cached && Date.now() - cached.at < REPORT_MAX_AGE_MS) return cached.report;
    running ??= optimizer
      .getPerformanceReport({ signal })
      .then((r) => {
        cached = { at: Date.now(), report: r };
        return r;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const component: FeatureComponent<'performance'> = {
    name: 'performance',
    instance: optimizer,
    initialize: async (signal) => {
      await optimizer.initialize({ signal });
    },
    async status(signal): Promise<FeatureStatus> {
      const r = await report(signal);
      const { warningMs, slowQueryThresholdMs } = ctx.config.performance;
      const issues = performanceIssues(r, { warningMs: Math.min(warningMs, slowQueryThresholdMs) });
      return {
        status: issues.some((i) => i.severity !== 'info') ? 'degraded' : 'healthy',
        message: `${r.slowQueries.length} slow queries, ${r.indexRecommendations.length} index recommendations`,
        details: {
          slowQueries: r.slowQueries.length,
          indexRecommendations: r.indexRecommendations.length,
          cacheHitRatio: r.cacheHitRatio,
          unusedIndexes: r.unusedIndexes.length,
          reportAt: r.generatedAt,
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
            historySchema ??= ctx.database
              .query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(history.schema)}`, [], { signal })
              .then(() => undefined)
              .catch((err) => {
                historySchema = undefined;
                throw err;
              });
            await historySchema;
            const s = await optimizer.takeSnapshot({ signal });
            const pruned = await pruneStatementHistory(ctx.database, history, signal, STATEMENT_HISTORY_DAYS);
            return { entries: s.entries, slow: s.slow.length, historyRowsPruned: pruned };
          },
        },
        {
          name: 'performance.analysis',
          minIntervalMs: p.snapshotIntervalMs,
          async run(signal) {
            const r = await report(signal, true);
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
      // The text as the rest of the page shows it: constants pg_stat_statements left in are replaced too.
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
