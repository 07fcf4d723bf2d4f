import type { Database } from '@voicehive/db-core';
import type { CapacitySnapshot } from './types.js';

/** Client connections against what clients may actually use (max minus the reserved slots). */
export async function readConnections(
  db: Database,
  signal?: AbortSignal,
): Promise<NonNullable<CapacitySnapshot['connections']>> {
  const res = await db.query<{ state: string | null; n: string; max: string; su: string; reserved: string | null }>(
    `SELECT coalesce(state, 'unknown') AS state, count(*) AS n,
            current_setting('max_connections') AS max,
            current_setting('superuser_reserved_connections') AS su,
            current_setting('reserved_connections', true) AS reserved
     FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1
     UNION ALL
     SELECT NULL, 0, current_setting('max_connections'), current_setting('superuser_reserved_connections'),
            current_setting('reserved_connections', true)`,
    [],
    { signal },
  );
  const byState: Record<string, number> = {};
  let used = 0;
  for (const r of res.rows) {
    if (r.state === null) continue;
    byState[r.state] = Number(r.n);
    used += Number(r.n);
  }
  const first = res.rows[res.rows.length - 1]!;
  const max = Number(first.max);
  const reserved = Number(first.su) + (first.reserved ? Number(first.reserved) : 0);
  const usable = Math.max(1, max - reserved);
  return { used, max, reserved, usable, usagePercent: (100 * used) / usable, byState };
}

/** age(datfrozenxid): how far each database is from transaction-id wraparound. */
export async function readXidAge(db: Database, signal?: AbortSignal): Promise<NonNullable<CapacitySnapshot['xid']>> {
  const res = await db.query<{ datname: string; age: string; current: boolean }>(
    'SELECT datname, age(datfrozenxid) AS age, datname = current_database() AS current FROM pg_database WHERE datallowconn ORDER BY 2 DESC',
    [],
    { signal },
  );
  const oldest = res.rows[0]!;
  const current = res.rows.find((r) => r.current);
  return { age: Number(oldest.age), database: oldest.datname, currentDatabaseAge: Number(current?.age ?? oldest.age) };
}

/** Temp bytes and the shared-buffer hit ratio of this database (cumulative since the last stats reset). */
export async function readDatabaseStats(db: Database, signal?: AbortSignal) {
  const res = await db.query<{ temp_bytes: string; temp_files: string; blks_hit: string; blks_read: string }>(
    'SELECT temp_bytes, temp_files, blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()',
    [],
    { signal },
  );
  const r = res.rows[0];
  const hit = Number(r?.blks_hit ?? 0);
  const read = Number(r?.blks_read ?? 0);
  return {
    temp: { bytesTotal: Number(r?.temp_bytes ?? 0), files: Number(r?.temp_files ?? 0) },
    cache: { hitRatio: hit + read > 0 ? hit / (hit + read) : null, blocksHit: hit, blocksRead: read },
  };
}
