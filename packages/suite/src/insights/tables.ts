import type { Database } from '@voicehive/db-core';

export interface TableMaintenance {
  schema: string;
  table: string;
  liveRows: number;
  deadRows: number;
  /** dead / (live + dead); 0 for an empty table. */
  deadRatio: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
  /** Transactions since relfrozenxid: VACUUM (FREEZE) resets it. */
  xidAge: number;
  totalBytes: number;
  tableBytes: number;
  indexBytes: number;
}

/**
 * Per-table maintenance state from pg_stat_user_tables and pg_class, biggest
 * first: dead rows, vacuum and analyze times, freeze age and sizes.
 */
export async function readTableMaintenance(
  db: Database,
  options: { limit?: number; order?: 'size' | 'dead'; signal?: AbortSignal } = {},
): Promise<TableMaintenance[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT s.schemaname, s.relname, s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead,
            s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
            age(c.relfrozenxid)::float8 AS xid_age,
            pg_total_relation_size(c.oid)::float8 AS total_bytes,
            pg_table_size(c.oid)::float8 AS table_bytes,
            pg_indexes_size(c.oid)::float8 AS index_bytes
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
      ORDER BY ${options.order === 'dead' ? 's.n_dead_tup DESC' : 'pg_total_relation_size(c.oid) DESC'}
      LIMIT $1`,
    [options.limit ?? 200],
    { signal: options.signal },
  );
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v ? String(v) : null);
  return rows.map((r) => {
    const live = Number(r['live']);
    const dead = Number(r['dead']);
    return {
      schema: String(r['schemaname']),
      table: String(r['relname']),
      liveRows: live,
      deadRows: dead,
      deadRatio: live + dead > 0 ? dead / (live + dead) : 0,
      lastVacuum: iso(r['last_vacuum']),
      lastAutovacuum: iso(r['last_autovacuum']),
      lastAnalyze: iso(r['last_analyze']),
      lastAutoanalyze: iso(r['last_autoanalyze']),
      xidAge: Number(r['xid_age']),
      totalBytes: Number(r['total_bytes']),
      tableBytes: Number(r['table_bytes']),
      indexBytes: Number(r['index_bytes']),
    };
  });
}
