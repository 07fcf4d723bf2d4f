import {
  type IndexInfo,
  loadIndexDefinitions,
  loadIndexes,
  loadTables,
  type TableInfo,
  withIndexScans,
} from '../catalog/catalog.js';
import {
  type DuplicateIndex,
  findDuplicateIndexes,
  findInvalidIndexes,
  findMissingFkIndexes,
  findUnusedIndexes,
  type InvalidIndex,
  type MissingFkIndex,
  type UnusedIndex,
} from '../health/indexes.js';
import { type ReportContext, withSignal } from './context.js';

export interface CatalogSection {
  tables: TableInfo[];
  indexes: IndexInfo[];
  unusedIndexes: UnusedIndex[];
  duplicateIndexes: DuplicateIndex[];
  invalidIndexes: InvalidIndex[];
  missingFkIndexes: MissingFkIndex[];
}

/** Stage 2: tables and indexes with their counters; unused, duplicate, invalid and missing-FK indexes. */
export async function readCatalogSection(ctx: ReportContext): Promise<CatalogSection> {
  const { runner, signal } = ctx;
  const opt = withSignal(signal);
  // Side by side as stages (the runner sends their queries one at a time, on one connection: see CountingRunner).
  // Each has its own warning list, joined in this order whatever finishes first.
  // Sections reject only on an abort; both are awaited before it is rethrown, so nothing runs on unobserved.
  const forTables = ctx.fork();
  const forIndexes = ctx.fork();
  const both = await Promise.allSettled([
    forTables.section('tables', () => loadTables(forTables.runner, opt), [] as TableInfo[]),
    forIndexes.section('indexes', () => loadIndexes(forIndexes.runner, opt), [] as IndexInfo[]),
  ]);
  forTables.join();
  forIndexes.join();
  for (const r of both) if (r.status === 'rejected') throw r.reason;
  const tables = (both[0] as PromiseFulfilledResult<TableInfo[]>).value;
  const indexes = (both[1] as PromiseFulfilledResult<IndexInfo[]>).value;
  withIndexScans(tables, indexes);
  const statsSince = await ctx.section(
    'stats_reset',
    async () =>
      (
        await runner.query<{ t: string | null }>(
          'SELECT stats_reset::text AS t FROM pg_stat_database WHERE datname = current_database()',
          [],
          opt,
        )
      ).rows[0]?.t ?? null,
    null,
  );
  // Definitions only for the indexes the report names (pg_get_indexdef on every index is slow on big catalogs).
  const named = new Set<string>();
  for (const u of findUnusedIndexes(indexes, statsSince)) named.add(`${u.schema}.${u.index}`);
  for (const d of findDuplicateIndexes(indexes)) named.add(`${d.schema}.${d.index}`).add(`${d.schema}.${d.coveredBy}`);
  const wanted = indexes.filter((i) => !i.valid || named.has(`${i.schema}.${i.name}`));
  await ctx.section('index_definitions', () => loadIndexDefinitions(runner, wanted, opt), undefined);
  const unusedIndexes = findUnusedIndexes(indexes, statsSince);
  const duplicateIndexes = findDuplicateIndexes(indexes);
  const invalidIndexes = await ctx.section('invalid_indexes', () => findInvalidIndexes(runner, indexes, opt), []);
  const missingFkIndexes = await ctx.section('foreign_keys', () => findMissingFkIndexes(runner, indexes, opt), []);
  return { tables, indexes, unusedIndexes, duplicateIndexes, invalidIndexes, missingFkIndexes };
}
