import type { QueryOptions } from '@voicehive/db-core';
import type { SlowerStatement } from '../advisor/slower-statement.js';
import type { IndexInfo, SqlRunner } from '../catalog/catalog.js';
import { isProtected } from './protected.js';

export interface IndexRef {
  schema: string;
  table: string;
  index: string;
  definition: string;
  sizeBytes: number;
}

export interface UnusedIndex extends IndexRef {
  idxScan: number;
  /** Counters restart at this time: "unused" means unused since then, on this node only. */
  statsSince: string | null;
  /**
   * Σ calls × planner cost the workload would gain with the index hidden (what-if drop analysis); absent
   * when the analysis did not run (see `advisor.dropAnalysis`).
   */
  workloadCostIncreaseIfDropped?: number;
  /** Statements whose plans would get costlier beyond the advisor's thresholds; empty means safe to drop for this workload. */
  slowerIfDropped?: SlowerStatement[];
  dropSql: string;
}

export interface DuplicateIndex extends IndexRef {
  /** The index that serves every lookup this one can. */
  coveredBy: string;
  coveredByDefinition: string;
  /**
   * `exact` and `prefix` from the definitions (PgHero's rule); `workload` from the what-if drop analysis with
   * scope `workload`: the workload's plans use this index, but with it hidden they use `coveredBy` at no
   * more than the advisor's thresholds. Statements outside pg_stat_statements' top list may still need it.
   */
  kind: 'exact' | 'prefix' | 'workload';
  workloadCostIncreaseIfDropped?: number;
  slowerIfDropped?: SlowerStatement[];
  dropSql: string;
}

export interface InvalidIndex extends IndexRef {
  /** What to run: a failed CREATE INDEX CONCURRENTLY leaves an invalid index that still slows writes. */
  fix: string;
}

export interface MissingFkIndex {
  schema: string;
  table: string;
  constraint: string;
  columns: string[];
  referencedTable: string;
  createSql: string;
}

const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
const dropSql = (i: IndexInfo) => `DROP INDEX CONCURRENTLY ${q(i.schema)}.${q(i.name)};`;
const ref = (i: IndexInfo): IndexRef => ({
  schema: i.schema,
  table: i.table,
  index: i.name,
  definition: i.definition,
  sizeBytes: i.sizeBytes,
});

/** Enforces something (PK, UNIQUE, EXCLUDE, replica identity): never reported as droppable. */
export { isProtected };

export function findUnusedIndexes(indexes: IndexInfo[], statsSince: string | null): UnusedIndex[] {
  return indexes
    .filter((i) => i.valid && i.idxScan === 0 && !isProtected(i))
    .map((i) => ({ ...ref(i), idxScan: i.idxScan, statsSince, dropSql: dropSql(i) }))
    .sort((a, b) => b.sizeBytes - a.sizeBytes);
}

/**
 * B is redundant when another valid index A on the same table, same access
 * method, both non-partial and without expressions, starts with B's key
 * columns in the same order and directions (PgHero's rule). Indexes that
 * enforce a constraint are never reported as the redundant one.
 */
export function findDuplicateIndexes(indexes: IndexInfo[]): DuplicateIndex[] {
  const out: DuplicateIndex[] = [];
  const usable = indexes.filter(
    (i) => i.valid && !i.partial && i.columns.every((c) => c !== null) && i.columns.length > 0,
  );
  for (const b of usable) {
    if (isProtected(b)) continue;
    const cover = usable.find((a) => {
      if (a === b || a.tableOid !== b.tableOid || a.am !== b.am || a.columns.length < b.columns.length) return false;
      if (!b.columns.every((c, k) => a.columns[k] === c && (a.desc[k] ?? false) === (b.desc[k] ?? false))) return false;
      // Of two identical non-constraint indexes, keep the one with the smaller oid (the older one).
      if (a.columns.length === b.columns.length && !isProtected(a)) return a.oid < b.oid;
      return true;
    });
    if (cover) {
      out.push({
        ...ref(b),
        coveredBy: cover.name,
        coveredByDefinition: cover.definition,
        kind: cover.columns.length === b.columns.length ? 'exact' : 'prefix',
        dropSql: dropSql(b),
      });
    }
  }
  return out;
}

/** An index the what-if drop analysis found the workload does not need, because `coveredBy` serves its plans. */
export function workloadDuplicate(index: IndexInfo, coveredBy: IndexInfo): DuplicateIndex {
  return {
    ...ref(index),
    coveredBy: coveredBy.name,
    coveredByDefinition: coveredBy.definition,
    kind: 'workload',
    dropSql: dropSql(index),
  };
}

export async function findInvalidIndexes(
  db: SqlRunner,
  indexes: IndexInfo[],
  options: QueryOptions = {},
): Promise<InvalidIndex[]> {
  const invalid = indexes.filter((i) => !i.valid);
  if (invalid.length === 0) return [];
  // An index being built right now by CREATE INDEX CONCURRENTLY is invalid until it finishes.
  const { rows } = await db.query<{ oid: string }>(
    'SELECT index_relid::int8 AS oid FROM pg_stat_progress_create_index',
    [],
    options,
  );
  const building = new Set(rows.map((r) => Number(r.oid)));
  return invalid
    .filter((i) => !building.has(i.oid))
    .map((i) => ({ ...ref(i), fix: `REINDEX INDEX CONCURRENTLY ${q(i.schema)}.${q(i.name)}; -- or ${dropSql(i)}` }));
}

export async function findMissingFkIndexes(
  db: SqlRunner,
  indexes: IndexInfo[],
  options: QueryOptions = {},
): Promise<MissingFkIndex[]> {
  const { rows } = await db.query<{
    table_oid: string;
    schema: string;
    table_name: string;
    conname: string;
    cols: string[];
    ref: string;
  }>(
    `SELECT c.conrelid::int8 AS table_oid, n.nspname AS schema, t.relname AS table_name, c.conname,
            ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols,
            c.confrelid::regclass::text AS ref
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
    [],
    options,
  );
  return rows
    .filter((fk) => {
      const oid = Number(fk.table_oid);
      // Covered when any valid btree's leading columns are the FK columns in any order (a composite PK counts).
      return !indexes.some(
        (i) =>
          i.tableOid === oid &&
          i.valid &&
          !i.partial &&
          i.am === 'btree' &&
          i.columns.length >= fk.cols.length &&
          fk.cols.every((c) => i.columns.slice(0, fk.cols.length).includes(c)),
      );
    })
    .map((fk) => ({
      schema: fk.schema,
      table: fk.table_name,
      constraint: fk.conname,
      columns: fk.cols,
      referencedTable: fk.ref,
      createSql: `CREATE INDEX CONCURRENTLY ON ${q(fk.schema)}.${q(fk.table_name)} (${fk.cols.map(q).join(', ')});`,
    }));
}
