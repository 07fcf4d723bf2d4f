import type pg from 'pg';

/**
 * Rows this backend has read or written in user tables and not yet flushed
 * to the shared statistics. Inside a transaction block nothing is flushed,
 * so the difference between two readings in one transaction is what the
 * statements between them did: a rewrite (ALTER COLUMN TYPE, VACUUM FULL)
 * and every validating scan (ADD CHECK, SET NOT NULL, CREATE INDEX, foreign
 * keys) count the rows they read; DML counts rows read and written;
 * catalog-only DDL and LOCK TABLE count nothing (checked on PostgreSQL 15).
 */
const ROWS_SQL = `SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0) + n_tup_ins + n_tup_upd + n_tup_del), 0)::text AS n
  FROM pg_catalog.pg_stat_xact_user_tables`;

export async function rowsTouched(client: pg.ClientBase): Promise<bigint> {
  const { rows } = await client.query<{ n: string }>(ROWS_SQL);
  return BigInt(rows[0]?.n ?? '0');
}
