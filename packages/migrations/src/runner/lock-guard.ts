import type { LeaderLock } from '@voicehive/db-core';
import { LOCK_LOST_SQLSTATE } from './apply.js';

/**
 * SQL that raises LOCK_LOST_SQLSTATE unless the lock's session still holds
 * the global migration lock, read from pg_locks by the migration's own
 * session right before its COMMIT (issue #11: under load, a run committed
 * after its lock session had been terminated, because the 'lost' event
 * arrived too late). A bigint advisory key shows in pg_locks as classid =
 * high 32 bits, objid = low 32 bits, objsubid = 1. Only numbers we computed
 * are inlined: the guard has to travel in one simple query with COMMIT.
 */
export function globalLockGuard(lock: LeaderLock): string {
  const key = BigInt.asUintN(64, BigInt(lock.key));
  const pid = lock.held ? (lock.backendPid ?? 0) : 0;
  return `DO $dbrs_guard$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted AND pid = ${pid}
                 AND classid = ${key >> 32n} AND objid = ${key & 0xffffffffn} AND objsubid = 1) THEN
    RAISE EXCEPTION 'the global migration lock was lost with its session; nothing was committed' USING ERRCODE = '${LOCK_LOST_SQLSTATE}';
  END IF;
END $dbrs_guard$`;
}
