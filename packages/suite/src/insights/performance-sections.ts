import type { PerformanceReport, QuerySummary } from '@voicehive/db-performance';
import type { QueryRow } from '../status/types.js';
import type { PerformanceSections } from './page-sections.js';

/** The page's queries, index and maintenance tables from one performance report. */
export function performanceSections(r: PerformanceReport): PerformanceSections {
  const all = new Map<string, QuerySummary>();
  for (const q of [...r.topQueries, ...r.slowQueries]) all.set(q.queryHash, q);
  const total = [...all.values()].reduce((a, q) => a + q.totalTimeMs, 0);
  const row = (q: QuerySummary): QueryRow => ({
    queryHash: q.queryHash,
    query: q.query,
    calls: q.calls,
    rows: q.rows,
    meanMs: q.meanTimeMs,
    totalMs: q.totalTimeMs,
    share: total > 0 ? q.totalTimeMs / total : null,
  });
  const top = (by: (q: QuerySummary) => number) =>
    [...all.values()]
      .sort((a, b) => by(b) - by(a))
      .slice(0, 10)
      .map(row);
  return {
    queries: {
      byTotal: top((q) => q.totalTimeMs),
      // From the statements the report read (top by total time plus the slow ones), not every statement.
      byMean: top((q) => q.meanTimeMs),
      statsSince: r.unusedIndexes[0]?.statsSince ?? null,
    },
    unusedIndexes: r.unusedIndexes.map((u) => ({
      schema: u.schema,
      index: u.index,
      sizeBytes: u.sizeBytes,
      statsSince: u.statsSince,
      dropSql: u.dropSql,
    })),
    duplicateIndexes: r.duplicateIndexes.map((d) => ({
      schema: d.schema,
      index: d.index,
      kind: d.kind,
      coveredBy: d.coveredBy,
      sizeBytes: d.sizeBytes,
      dropSql: d.dropSql,
    })),
    sequences: r.sequences?.nearExhaustion ?? [],
    wraparound: r.wraparound ? { xidAge: r.wraparound.xidAge, xidRemaining: r.wraparound.xidRemaining } : null,
    bloat: (r.bloat?.estimates ?? []).map((b) => ({
      name: b.kind === 'index' ? `${b.schema}.${b.index}` : `${b.schema}.${b.table}`,
      actualBytes: b.actualBytes,
      bloatBytes: b.bloatBytes,
      bloatRatio: b.bloatRatio,
    })),
  };
}
