import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';

export interface BloatEstimate {
  kind: 'table' | 'index';
  schema: string;
  table: string;
  index?: string;
  actualBytes: number;
  expectedBytes: number;
  bloatBytes: number;
  bloatRatio: number;
}

export interface BloatReport {
  /** Statistics-based estimates (ioguix/pgexperts method): wrong without a recent ANALYZE; never exact. */
  estimates: BloatEstimate[];
  /** Relations skipped because pg_stats shows no statistics for them (not analysed, or no SELECT privilege). */
  skippedWithoutStats: number;
}

const EXCLUDED = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'`;

/**
 * Table estimate: expected pages = reltuples / rows-per-page, where a row is
 * the 24-byte header plus its null bitmap, the MAXALIGN'd average data width
 * from pg_stats, and a 4-byte line pointer, and a page holds
 * (block_size − 24) × fillfactor of them. B-tree estimate: index tuples of
 * 8-byte header + MAXALIGN'd key width + line pointer, at the default 90%
 * leaf fillfactor, plus the meta page.
 */
export async function estimateBloat(db: SqlRunner, minBytes: number, options: QueryOptions = {}): Promise<BloatReport> {
  // The relations big enough to matter first, by size alone. The estimate below reads pg_stats per column, and
  // the planner, not knowing how few relations pass the size filter, costed it over every column of the
  // catalog: on 10,000 tables that crossed jit_above_cost and compiling took most of its 1.4 s. With the oids
  // given, it plans for just those (and on most databases there are none or few).
  const big = await db.query<{ oid: string }>(
    `SELECT c.oid::int8 AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'i') AND c.relpages::int8 * current_setting('block_size')::int8 >= $1 AND ${EXCLUDED}`,
    [minBytes],
    options,
  );
  if (big.rows.length === 0) return { estimates: [], skippedWithoutStats: 0 };
  const oids = big.rows.map((r) => Number(r.oid));
  const { rows } = await db.query<Record<string, unknown>>(
    `WITH cols AS (
       SELECT c.oid, n.nspname AS schema, c.relname AS name, c.reltuples, c.relpages, c.reloptions,
              count(*) AS ncols, count(s.attname) AS nstats, bool_or(COALESCE(s.null_frac, 0) > 0) AS has_nulls,
              sum((1 - COALESCE(s.null_frac, 0)) * COALESCE(s.avg_width, 0)) AS width
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         -- LATERAL + OFFSET 0 (no pull-up) keeps pg_stats, a view with a privilege check per row, evaluated only for the big relations.
         LEFT JOIN LATERAL (SELECT st.attname, st.null_frac, st.avg_width FROM pg_stats st
                             WHERE st.schemaname = n.nspname AND st.tablename = c.relname AND st.attname = a.attname
                               AND NOT st.inherited OFFSET 0) s ON true
        WHERE c.relkind = 'r' AND c.oid = ANY($1::oid[]) AND ${EXCLUDED}
        GROUP BY c.oid, n.nspname, c.relname, c.reltuples, c.relpages, c.reloptions),
     t AS (
       SELECT 'table' AS kind, schema, name AS table_name, NULL::name AS index_name, relpages, nstats, ncols,
              ceil(GREATEST(reltuples, 0) / GREATEST(1, floor(
                (current_setting('block_size')::int - 24)
                * COALESCE(substring(array_to_string(reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 100) / 100.0
                / (24 + CASE WHEN has_nulls THEN 8 ELSE 0 END + ceil(width / 8.0) * 8 + 4)))) AS expected_pages
         FROM cols),
     i AS (
       SELECT 'index' AS kind, n.nspname AS schema, ct.relname AS table_name, ci.relname AS index_name, ci.relpages,
              count(s.attname) AS nstats, count(*) AS ncols,
              1 + ceil(GREATEST(ci.reltuples, 0) * (8 + ceil(sum((1 - COALESCE(s.null_frac, 0)) * COALESCE(s.avg_width, 0)) / 8.0) * 8 + 4)
                       / ((current_setting('block_size')::int - 24 - 16) * 0.9)) AS expected_pages
         FROM pg_index x
         JOIN pg_class ci ON ci.oid = x.indexrelid JOIN pg_class ct ON ct.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = ct.relnamespace JOIN pg_am am ON am.oid = ci.relam AND am.amname = 'btree'
         JOIN LATERAL unnest(x.indkey::int2[]) AS k(attnum) ON k.attnum > 0
         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
         LEFT JOIN LATERAL (SELECT st.attname, st.null_frac, st.avg_width FROM pg_stats st
                             WHERE st.schemaname = n.nspname AND st.tablename = ct.relname AND st.attname = a.attname
                               AND NOT st.inherited OFFSET 0) s ON true
        WHERE ci.oid = ANY($1::oid[]) AND ${EXCLUDED}
        GROUP BY n.nspname, ct.relname, ci.relname, ci.relpages, ci.reltuples)
     SELECT kind, schema, table_name, index_name, relpages::int8 AS relpages, expected_pages::int8 AS expected_pages,
            (nstats = ncols) AS has_stats, current_setting('block_size')::int AS bs
       FROM (SELECT * FROM t UNION ALL SELECT * FROM i) u`,
    [oids],
    options,
  );
  const report: BloatReport = { estimates: [], skippedWithoutStats: 0 };
  for (const r of rows) {
    if (!r['has_stats']) {
      report.skippedWithoutStats++;
      continue;
    }
    const bs = Number(r['bs']);
    const actualBytes = Number(r['relpages']) * bs;
    const expectedBytes = Number(r['expected_pages']) * bs;
    const bloatBytes = Math.max(0, actualBytes - expectedBytes);
    if (bloatBytes < minBytes) continue;
    report.estimates.push({
      kind: r['kind'] as 'table' | 'index',
      schema: String(r['schema']),
      table: String(r['table_name']),
      ...(r['index_name'] ? { index: String(r['index_name']) } : {}),
      actualBytes,
      expectedBytes,
      bloatBytes,
      bloatRatio: actualBytes > 0 ? bloatBytes / actualBytes : 0,
    });
  }
  report.estimates.sort((a, b) => b.bloatBytes - a.bloatBytes);
  return report;
}
