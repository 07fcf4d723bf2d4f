import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

export interface CacheHitRatio {
  /** Heap blocks found in shared_buffers / all heap block reads, user tables. null before any read. */
  tables: number | null;
  indexes: number | null;
  database: number | null;
  threshold: number;
  /** True when a ratio with data is below the threshold. */
  belowThreshold: boolean;
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'`;

export async function readCacheHitRatio(
  db: SqlRunner,
  threshold: number,
  options: QueryOptions = {},
): Promise<CacheHitRatio> {
  const { rows } = await db.query<{ tables: number | null; indexes: number | null; database: number | null }>(
    // pg_statio_user_tables/_indexes with the counter functions called directly: the views also sum toast and
    // index counters per table (a GROUP BY over every index), which is most of their cost on a large catalog.
    // hit + read = fetched, and the relkinds and schemas are the views' own.
    `SELECT (SELECT sum(pg_stat_get_blocks_hit(c.oid))::float8 / NULLIF(sum(pg_stat_get_blocks_fetched(c.oid)), 0)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 't', 'm') AND ${USER_SCHEMAS}) AS tables,
            (SELECT sum(pg_stat_get_blocks_hit(x.indexrelid))::float8 / NULLIF(sum(pg_stat_get_blocks_fetched(x.indexrelid)), 0)
               FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 't', 'm') AND ${USER_SCHEMAS}) AS indexes,
            (SELECT blks_hit::float8 / NULLIF(blks_hit + blks_read, 0) FROM pg_stat_database WHERE datname = current_database()) AS database`,
    [],
    options,
  );
  const r = rows[0]!;
  const vals = [r.tables, r.indexes].filter((v): v is number => v !== null);
  return {
    tables: r.tables,
    indexes: r.indexes,
    database: r.database,
    threshold,
    belowThreshold: vals.some((v) => v < threshold),
  };
}
