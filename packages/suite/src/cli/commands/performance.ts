import type { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { formatCount, formatMs, formatPercent, shortSql } from '../../format/units.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';
import { formatTable } from '../table.js';
import { ONLY, requireFeature } from './require-feature.js';

async function report(ctx: CommandContext) {
  const suite = await ctx.openSuite({ ...ONLY.performance, performanceEnabled: true });
  try {
    const optimizer = requireFeature<DatabasePerformanceOptimizer>(suite, 'performance');
    return await optimizer.getPerformanceReport({ signal: ctx.signal });
  } finally {
    await suite.shutdown();
  }
}

export async function performanceReport(ctx: CommandContext): Promise<number> {
  const r = await report(ctx);
  const top = r.topQueries.slice(0, 10).map((q) => ({
    mean: formatMs(q.meanTimeMs),
    calls: formatCount(q.calls),
    total: formatMs(q.totalTimeMs),
    query: shortSql(q.query, 100),
  }));
  const c = r.cacheHitRatio;
  const ratio = (v: number | null) => (v === null ? 'no reads yet' : formatPercent(v));
  const names = (label: string, list: Array<{ schema: string; index: string }>) =>
    list.length ? [`${label}: ${list.map((i) => `${i.schema}.${i.index}`).join(', ')}`] : [];
  const human = [
    `Slow queries: ${r.slowQueries.length}   index recommendations: ${r.indexRecommendations.length}   unused indexes: ${r.unusedIndexes.length}   duplicate: ${r.duplicateIndexes.length}   invalid: ${r.invalidIndexes.length}`,
    c
      ? `Cache hit ratio: tables ${ratio(c.tables)}, indexes ${ratio(c.indexes)}, database ${ratio(c.database)} (threshold ${formatPercent(c.threshold, 0)}${c.belowThreshold ? ', BELOW' : ''})`
      : 'Cache hit ratio: n/a',
    ...names('Unused indexes', r.unusedIndexes),
    ...names('Duplicate indexes', r.duplicateIndexes),
    ...names('Invalid indexes', r.invalidIndexes),
    '',
    'Top queries by total time:',
    formatTable(top),
    ...(r.warnings.length ? ['', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`)] : []),
  ].join('\n');
  ctx.print(human, r);
  return EXIT.OK;
}

export async function performanceRecommend(ctx: CommandContext): Promise<number> {
  const r = await report(ctx);
  const rows = r.indexRecommendations.map((x) => ({
    priority: x.priority,
    table: x.table,
    columns: x.columns.join(', '),
    reduction: x.estimatedCostReduction === null ? '' : `${Math.round(x.estimatedCostReduction * 100)}%`,
    validated: x.validated,
    createSql: x.createSql,
  }));
  ctx.print(
    rows.length
      ? `${formatTable(rows.map(({ createSql, ...rest }) => rest))}\n\n${rows.map((x) => `${x.createSql.replace(/;\s*$/, '')};`).join('\n')}`
      : 'No index recommendations.',
    r.indexRecommendations,
  );
  return EXIT.OK;
}
