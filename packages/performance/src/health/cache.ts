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

export async function readCacheHitRatio(
  db: SqlRunner,
  threshold: number,
  options: QueryOptions = {},
): Promise<CacheHitRatio> {
  const { rows } = await db.query<{ tables: number | null; indexes: number | null; database: number | null }>(
    `SELECT (SELECT sum(heap_blks_hit)::float8 / NULLIF(sum(heap_blks_hit) + sum(heap_blks_read), 0) FROM pg_statio_user_tables) AS tables,
            (SELECT sum(idx_blks_hit)::float8 / NULLIF(sum(idx_blks_hit) + sum(idx_blks_read), 0) FROM pg_statio_user_indexes) AS indexes,
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
