import type { QueryOptions } from '@voicehive/db-core';

/** The small slice of Database the package needs; a Database satisfies it. */
export interface SqlRunner {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
    options?: QueryOptions,
  ): Promise<{ rows: R[] }>;
}

export interface TableInfo {
  oid: number;
  schema: string;
  name: string;
  reltuples: number;
  relpages: number;
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
  /** Rows written that touched indexes (inserts, non-HOT updates, deletes) since the statistics reset. */
  writes: number;
  nLiveTup: number;
  /** A partitioned parent (relkind `p`): its reltuples is the sum over its leaf partitions until it is analysed. */
  partitioned?: boolean;
  /** Rows modified since the last ANALYZE (pg_stat_get_mod_since_analyze). */
  modSinceAnalyze?: number;
  /** Last ANALYZE or autoanalyze, ISO text; null when never analysed since the statistics reset. */
  lastAnalyzed?: string | null;
}

export interface IndexInfo {
  oid: number;
  tableOid: number;
  schema: string;
  table: string;
  name: string;
  am: string;
  unique: boolean;
  primary: boolean;
  valid: boolean;
  partial: boolean;
  /** Key columns in order; `null` for an expression key. */
  columns: (string | null)[];
  /** Per key column: true when DESC. */
  desc: boolean[];
  /** From relpages (as of the last VACUUM/ANALYZE/CREATE INDEX). */
  sizeBytes: number;
  idxScan: number;
  /** pg_get_indexdef; empty until `loadIndexDefinitions` ran for this index. */
  definition: string;
  /** Backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint. */
  constraintBacked: boolean;
  replicaIdentity: boolean;
}

export interface ColumnStats {
  nullFrac: number;
  nDistinct: number;
  avgWidth: number;
  /** pg_stats' most common values (text form) and their fractions of the rows, when ANALYZE kept any. */
  mcv?: { value: string; freq: number }[];
}

/**
 * A one-dimensional array literal as text (`{done,"a b",NULL}`) → its elements; undefined for anything else
 * (multi-dimensional, malformed), so an odd value never becomes a wrong literal.
 */
export function parseArrayText(text: string): (string | null)[] | undefined {
  if (!text.startsWith('{') || !text.endsWith('}') || text.startsWith('{{')) return undefined;
  const out: (string | null)[] = [];
  const body = text.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    let value = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        value += body[i] ?? '';
        i++;
      }
      if (body[i] !== '"') return undefined;
      i++;
      out.push(value);
    } else {
      while (i < body.length && body[i] !== ',') value += body[i++];
      out.push(value === 'NULL' ? null : value);
    }
    if (i < body.length && body[i] !== ',') return undefined;
    i++;
  }
  return out;
}

export const tableKey = (schema: string, name: string): string => `${schema}.${name}`;

const EXCLUDED_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'`;

/**
 * Tables with their activity counters. The pg_stat_get_* functions are called
 * directly rather than through pg_stat_all_tables, whose GROUP BY over every
 * index (for idx_scan) is the slow part on a large catalog; `idxScan` is
 * summed from the indexes by `withIndexScans` instead.
 */
export async function loadTables(db: SqlRunner, options: QueryOptions = {}): Promise<TableInfo[]> {
  const { rows } = await db.query<Record<string, string | number>>(
    // A partitioned parent's reltuples stays -1 until someone runs ANALYZE on the parent (autovacuum never does):
    // its size is the sum of its leaf partitions.
    `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
            (CASE WHEN c.relkind = 'p' AND c.reltuples < 0 THEN coalesce(leaves.n, 0) ELSE c.reltuples END)::float8 AS reltuples,
            pg_stat_get_mod_since_analyze(c.oid) AS mod_since_analyze,
            greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid))::text AS last_analyzed,
            c.relpages::int8 AS relpages, pg_stat_get_numscans(c.oid) AS seq_scan,
            pg_stat_get_tuples_returned(c.oid) AS seq_tup_read,
            (pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid)
              - pg_stat_get_tuples_hot_updated(c.oid) + pg_stat_get_tuples_deleted(c.oid)) AS writes,
            pg_stat_get_live_tuples(c.oid) AS n_live_tup
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       -- A join, not a subquery per row: the planner costs a correlated pg_partition_tree() for every table, and on
       -- 10,000 tables that estimate crossed jit_above_cost; compiling took ~1.8 s of a 2.2 s query.
       LEFT JOIN (SELECT p.oid, sum(greatest(l.reltuples, 0)) AS n
                    FROM pg_class p CROSS JOIN LATERAL pg_partition_tree(p.oid) pt JOIN pg_class l ON l.oid = pt.relid
                   WHERE p.relkind = 'p' AND pt.isleaf GROUP BY p.oid) leaves ON leaves.oid = c.oid
      WHERE c.relkind IN ('r', 'm', 'p') AND ${EXCLUDED_SCHEMAS}`,
    [],
    options,
  );
  return rows.map((r) => ({
    oid: Number(r['oid']),
    schema: String(r['schema']),
    name: String(r['name']),
    // reltuples is -1 for a never-analysed table (PG14+).
    reltuples: Math.max(0, Number(r['reltuples'])),
    relpages: Number(r['relpages']),
    seqScan: Number(r['seq_scan']),
    seqTupRead: Number(r['seq_tup_read']),
    idxScan: 0,
    writes: Number(r['writes']),
    nLiveTup: Number(r['n_live_tup']),
    partitioned: r['relkind'] === 'p',
    modSinceAnalyze: Number(r['mod_since_analyze'] ?? 0),
    lastAnalyzed: r['last_analyzed'] === null || r['last_analyzed'] === undefined ? null : String(r['last_analyzed']),
  }));
}

/** Sets each table's idx_scan to the sum over its indexes (what pg_stat_all_tables.idx_scan is). */
export function withIndexScans(tables: TableInfo[], indexes: IndexInfo[]): TableInfo[] {
  const sums = new Map<number, number>();
  for (const i of indexes) sums.set(i.tableOid, (sums.get(i.tableOid) ?? 0) + i.idxScan);
  for (const t of tables) t.idxScan = sums.get(t.oid) ?? 0;
  return tables;
}

export async function loadIndexes(db: SqlRunner, options: QueryOptions = {}): Promise<IndexInfo[]> {
  // One pass with joins instead of per-index subqueries, and no pg_get_indexdef/pg_relation_size per
  // index: on a 10,000-table catalog those dominate the whole report. Definitions are fetched later
  // only for the indexes a report names (see `loadIndexDefinitions`).
  const { rows } = await db.query<Record<string, unknown>>(
    // Arrays come back as JSON: node-postgres parses text[] in JavaScript, which took ~0.4 s for
    // 20,000 indexes, while JSON.parse is native.
    `WITH keys AS (
       SELECT i.indexrelid, json_agg(a.attname ORDER BY k.ord) AS columns,
              json_agg((k.opt & 1) = 1 ORDER BY k.ord) AS descs
         FROM pg_index i
         JOIN pg_class ct ON ct.oid = i.indrelid AND ct.relkind IN ('r', 'm', 'p')
        CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indoption::int2[]) WITH ORDINALITY AS k(attnum, opt, ord)
         LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
        WHERE k.ord <= i.indnkeyatts
        GROUP BY i.indexrelid),
     constrained AS (SELECT DISTINCT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x'))
     SELECT i.indexrelid::int8 AS oid, i.indrelid::int8 AS table_oid, n.nspname AS schema, ct.relname AS table_name,
            ci.relname AS index_name, am.amname AS am, i.indisunique AS is_unique, i.indisprimary AS is_primary,
            i.indisvalid AS is_valid, (i.indpred IS NOT NULL) AS is_partial, i.indisreplident AS replident,
            keys.columns, keys.descs,
            (ci.relpages::int8 * current_setting('block_size')::int8) AS size_bytes, pg_stat_get_numscans(i.indexrelid) AS idx_scan,
            (con.conindid IS NOT NULL) AS constraint_backed
       FROM pg_index i
       JOIN keys ON keys.indexrelid = i.indexrelid
       JOIN pg_class ci ON ci.oid = i.indexrelid
       JOIN pg_class ct ON ct.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = ct.relnamespace
       JOIN pg_am am ON am.oid = ci.relam
       LEFT JOIN constrained con ON con.conindid = i.indexrelid
      WHERE ct.relkind IN ('r', 'm', 'p') AND ${EXCLUDED_SCHEMAS}`,
    [],
    options,
  );
  return rows.map((r) => ({
    oid: Number(r['oid']),
    tableOid: Number(r['table_oid']),
    schema: String(r['schema']),
    table: String(r['table_name']),
    name: String(r['index_name']),
    am: String(r['am']),
    unique: Boolean(r['is_unique']),
    primary: Boolean(r['is_primary']),
    valid: Boolean(r['is_valid']),
    partial: Boolean(r['is_partial']),
    replicaIdentity: Boolean(r['replident']),
    columns: (r['columns'] as (string | null)[]) ?? [],
    desc: (r['descs'] as boolean[]) ?? [],
    sizeBytes: Number(r['size_bytes']),
    idxScan: Number(r['idx_scan']),
    definition: '',
    constraintBacked: Boolean(r['constraint_backed']),
  }));
}

/** Fills `definition` (pg_get_indexdef) for the given indexes only. */
export async function loadIndexDefinitions(
  db: SqlRunner,
  indexes: IndexInfo[],
  options: QueryOptions = {},
): Promise<void> {
  const wanted = indexes.filter((i) => !i.definition);
  if (wanted.length === 0) return;
  const { rows } = await db.query<{ oid: string; def: string }>(
    'SELECT indexrelid::int8 AS oid, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indexrelid = ANY($1::oid[])',
    [wanted.map((i) => i.oid)],
    options,
  );
  const defs = new Map(rows.map((r) => [Number(r.oid), r.def]));
  for (const i of wanted) i.definition = defs.get(i.oid) ?? '';
}

/** Column names per table oid, for resolving unqualified column references. */
export async function loadColumns(
  db: SqlRunner,
  tableOids: number[],
  options: QueryOptions = {},
): Promise<Map<number, Map<string, string>>> {
  const out = new Map<number, Map<string, string>>();
  if (tableOids.length === 0) return out;
  const { rows } = await db.query<{ relid: string; attname: string; type: string }>(
    `SELECT attrelid::int8 AS relid, attname, format_type(atttypid, atttypmod) AS type
       FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped`,
    [tableOids],
    options,
  );
  for (const r of rows) {
    const oid = Number(r.relid);
    const cols = out.get(oid) ?? new Map<string, string>();
    out.set(oid, cols);
    cols.set(r.attname, r.type);
  }
  return out;
}

/**
 * pg_stats only shows columns the role may SELECT: with pg_monitor alone this
 * is empty, and callers must treat missing stats as "unknown", not "uniform".
 */
export async function loadColumnStats(
  db: SqlRunner,
  tables: { schema: string; name: string }[],
  options: QueryOptions = {},
): Promise<Map<string, ColumnStats>> {
  const out = new Map<string, ColumnStats>();
  if (tables.length === 0) return out;
  const { rows } = await db.query<{
    schemaname: string;
    tablename: string;
    attname: string;
    null_frac: number;
    n_distinct: number;
    avg_width: number;
    mcv: string | null;
    mcf: number[] | null;
  }>(
    `SELECT schemaname, tablename, attname, null_frac::float8 AS null_frac, n_distinct::float8 AS n_distinct, avg_width,
            -- JSON, which JSON.parse reads natively: node-postgres parses float8[] in JavaScript.
            most_common_vals::text AS mcv, array_to_json(most_common_freqs::float8[]) AS mcf
       FROM pg_stats
      -- The name lists let the planner reach pg_class by its name index (the concatenation alone read all of pg_statistic).
      WHERE tablename = ANY($2::name[]) AND schemaname = ANY($3::name[]) AND (schemaname || '.' || tablename) = ANY($1::text[])
      ORDER BY inherited DESC`,
    [
      tables.map((t) => tableKey(t.schema, t.name)),
      [...new Set(tables.map((t) => t.name))],
      [...new Set(tables.map((t) => t.schema))],
    ],
    options,
  );
  // A partitioned parent only has inherited statistics; elsewhere the table's own (read last) win.
  for (const r of rows) {
    const values = r.mcv ? parseArrayText(r.mcv) : undefined;
    const mcv =
      values && r.mcf && values.length === r.mcf.length
        ? values.flatMap((value, i) => (value === null ? [] : [{ value, freq: Number(r.mcf![i]) }]))
        : undefined;
    out.set(`${tableKey(r.schemaname, r.tablename)}.${r.attname}`, {
      nullFrac: Number(r.null_frac),
      nDistinct: Number(r.n_distinct),
      avgWidth: Number(r.avg_width),
      ...(mcv && mcv.length > 0 ? { mcv } : {}),
    });
  }
  return out;
}

/**
 * Columns of these tables where `LIKE 'abc%'` cannot use a default-opclass B-tree: a collatable column whose
 * collation is not C or POSIX (the database default resolved through pg_database). Keys are `oid.column`.
 */
export async function loadPatternOpsColumns(
  db: SqlRunner,
  tableOids: number[],
  options: QueryOptions = {},
): Promise<Set<string>> {
  if (tableOids.length === 0) return new Set();
  const { rows } = await db.query<{ relid: string; attname: string }>(
    `SELECT a.attrelid::int8 AS relid, a.attname
       FROM pg_attribute a JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
        AND coalesce(CASE WHEN co.collname = 'default'
                          THEN (SELECT datcollate FROM pg_database WHERE datname = current_database())
                          ELSE co.collcollate END, 'icu') NOT IN ('C', 'POSIX')`,
    [tableOids],
    options,
  );
  return new Set(rows.map((r) => `${Number(r.relid)}.${r.attname}`));
}
