import type { Database } from '@voicehive/db-core';

/**
 * Database-side I/O, cumulative bytes. pg_stat_io (16+) has reads and writes
 * for every backend type; before 16 only reads per database
 * (pg_stat_database) and cluster-wide buffer writes (pg_stat_bgwriter) exist.
 * PostgreSQL 18 replaced op_bytes with read_bytes/write_bytes/extend_bytes
 * (extends there count operations of several blocks, so only the byte columns
 * are right) and added WAL rows (object 'wal', including 16 MB per segment
 * initialised). Those rows are left out so the series stays relation I/O on
 * every version and does not double count the separate WAL volume.
 */
export async function readIo(
  db: Database,
  versionNum: number,
  signal?: AbortSignal,
): Promise<{ source: 'pg_stat_io' | 'pg_stat_database'; readBytes: number; writeBytes: number | null }> {
  if (versionNum >= 180000) {
    const r = await db.query<{ r: string | null; w: string | null }>(
      `SELECT sum(read_bytes) AS r, sum(coalesce(write_bytes, 0) + coalesce(extend_bytes, 0)) AS w
       FROM pg_stat_io WHERE object <> 'wal'`,
      [],
      { signal },
    );
    return { source: 'pg_stat_io', readBytes: Number(r.rows[0]?.r ?? 0), writeBytes: Number(r.rows[0]?.w ?? 0) };
  }
  if (versionNum >= 160000) {
    const r = await db.query<{ r: string | null; w: string | null }>(
      'SELECT sum(reads * op_bytes) AS r, sum((coalesce(writes, 0) + coalesce(extends, 0)) * op_bytes) AS w FROM pg_stat_io',
      [],
      { signal },
    );
    return { source: 'pg_stat_io', readBytes: Number(r.rows[0]?.r ?? 0), writeBytes: Number(r.rows[0]?.w ?? 0) };
  }
  const r = await db.query<{ r: string | null; w: string | null }>(
    `SELECT (SELECT blks_read FROM pg_stat_database WHERE datname = current_database()) * current_setting('block_size')::bigint AS r,
            (SELECT buffers_checkpoint + buffers_clean + buffers_backend FROM pg_stat_bgwriter) * current_setting('block_size')::bigint AS w`,
    [],
    { signal },
  );
  return {
    source: 'pg_stat_database',
    readBytes: Number(r.rows[0]?.r ?? 0),
    writeBytes: r.rows[0]?.w == null ? null : Number(r.rows[0].w),
  };
}
