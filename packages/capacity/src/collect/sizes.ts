import type { Database } from '@voicehive/db-core';
import type { IndexSize, RelationSize } from './types.js';

interface Opts {
  signal?: AbortSignal;
  topN: number;
}

const USER_RELATIONS = `c.relnamespace = n.oid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'`;

export async function readDatabaseSize(
  db: Database,
  signal?: AbortSignal,
): Promise<{ name: string; sizeBytes: number }> {
  const res = await db.query<{ name: string; size: string }>(
    'SELECT current_database() AS name, pg_database_size(current_database()) AS size',
    [],
    { signal },
  );
  return { name: res.rows[0]!.name, sizeBytes: Number(res.rows[0]!.size) };
}

/** Totals over every user table plus the largest `topN`, in one catalog pass. */
export async function readTableSizes(db: Database, opts: Opts) {
  const res = await db.query<{
    schema: string | null;
    name: string | null;
    total: string;
    tbl: string;
    idx: string;
    rows: string;
    count: string;
    is_total: boolean;
  }>(
    `WITH rel AS (
       SELECT n.nspname AS schema, c.relname AS name, pg_total_relation_size(c.oid) AS total,
              pg_table_size(c.oid) AS tbl, pg_indexes_size(c.oid) AS idx, greatest(c.reltuples, 0)::float8 AS rows
       FROM pg_class c, pg_namespace n
       WHERE c.relkind IN ('r', 'm') AND ${USER_RELATIONS}
     )
     (SELECT schema, name, total, tbl, idx, rows, 1 AS count, false AS is_total FROM rel ORDER BY total DESC, schema, name LIMIT $1)
     UNION ALL
     SELECT NULL, NULL, coalesce(sum(total), 0), coalesce(sum(tbl), 0), coalesce(sum(idx), 0), coalesce(sum(rows), 0), count(*), true FROM rel`,
    [opts.topN],
    { signal: opts.signal },
  );
  const total = res.rows.find((r) => r.is_total)!;
  const top: RelationSize[] = res.rows
    .filter((r) => !r.is_total)
    .map((r) => ({
      schema: r.schema!,
      name: r.name!,
      totalBytes: Number(r.total),
      tableBytes: Number(r.tbl),
      indexBytes: Number(r.idx),
      rowEstimate: Number(r.rows),
    }));
  return {
    count: Number(total.count),
    totalBytes: Number(total.total),
    tableBytes: Number(total.tbl),
    indexBytes: Number(total.idx),
    rowEstimate: Number(total.rows),
    top,
  };
}

export async function readIndexSizes(
  db: Database,
  opts: Opts,
): Promise<{ count: number; totalBytes: number; top: IndexSize[] }> {
  const res = await db.query<{
    schema: string | null;
    tbl: string | null;
    name: string | null;
    bytes: string;
    count: string;
  }>(
    `WITH idx AS (
       SELECT n.nspname AS schema, t.relname AS tbl, c.relname AS name, pg_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid, pg_namespace n
       WHERE c.relkind = 'i' AND ${USER_RELATIONS}
     )
     (SELECT schema, tbl, name, bytes, 1 AS count FROM idx ORDER BY bytes DESC, schema, name LIMIT $1)
     UNION ALL
     SELECT NULL, NULL, NULL, coalesce(sum(bytes), 0), count(*) FROM idx`,
    [opts.topN],
    { signal: opts.signal },
  );
  const total = res.rows[res.rows.length - 1]!;
  return {
    count: Number(total.count),
    totalBytes: Number(total.bytes),
    top: res.rows
      .slice(0, -1)
      .map((r) => ({ schema: r.schema!, table: r.tbl!, name: r.name!, bytes: Number(r.bytes) })),
  };
}
