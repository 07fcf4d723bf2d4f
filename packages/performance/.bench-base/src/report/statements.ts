import type { SlowQueryDetector } from '../monitor/slow-queries.js';
import { mergeByQueryId, readStatements, type StatementStats } from '../monitor/statements.js';
import { normalizeSql } from '../sql/parser.js';
import { type ReportContext, withSignal } from './context.js';
import type { QuerySummary, SlowQuery } from './types.js';
import { PSS_HOW_TO, READ_ALL_STATS_HOW_TO } from './warnings.js';

export interface StatementsSection {
  statements: StatementStats[];
  /** Costliest first by total time. */
  byTotal: StatementStats[];
  topQueries: QuerySummary[];
  slowQueries: SlowQuery[];
  /** Normalised display text of a statement (cached). */
  shown: (s: StatementStats) => string;
}

/** Stage 1: pg_stat_statements (without the suite's own statements), top and slow queries. */
export async function readStatementsSection(
  ctx: ReportContext,
  detector: SlowQueryDetector,
  usable: boolean,
): Promise<StatementsSection> {
  const { caps, opts } = ctx;
  let statements: StatementStats[] = [];
  if (usable) {
    statements = mergeByQueryId(
      await ctx.section(
        'pg_stat_statements',
        () =>
          readStatements(ctx.runner, caps.pgStatStatements, {
            ...withSignal(ctx.signal),
            includeSuiteStatements: opts.includeSuiteStatements,
          }),
        [],
      ),
    );
    if (!caps.pgReadAllStats && !caps.superuser) ctx.warnings.push(READ_ALL_STATS_HOW_TO);
  } else {
    ctx.warnings.push(PSS_HOW_TO);
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
  const byId = new Map(statements.map((s) => [s.queryid, s]));
  // Only the slow ones need their display text (normalising all 5,000 statements of a big workload took ~1 s).
  const slowEvents = detector.evaluate(
    byTotal.filter((s) => s.calls > 0 && detector.severity(s.meanExecMs)).map((s) => ({ ...s, query: shown(s) })),
    'report',
  );
  const slowQueries: SlowQuery[] = slowEvents.map((e) => ({
    ...summary(byId.get(e.queryHash)!),
    severity: e.severity,
    table: e.table,
  }));
  return { statements, byTotal, topQueries, slowQueries, shown };
}
