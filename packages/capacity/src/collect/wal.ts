import type { Database } from '@voicehive/db-core';

/**
 * WAL position as a byte offset from 0/0. On a standby the replay position
 * stands in, since pg_current_wal_lsn() raises there. The per-interval volume
 * is the difference between two positions (pg_wal_lsn_diff semantics).
 */
export async function readWalPosition(db: Database, signal?: AbortSignal): Promise<number> {
  const res = await db.query<{ pos: string | null }>(
    `SELECT pg_wal_lsn_diff(
              CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
              '0/0') AS pos`,
    [],
    { signal },
  );
  return Number(res.rows[0]?.pos ?? Number.NaN);
}
