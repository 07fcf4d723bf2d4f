import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Logger } from '@voicehive/db-core';
import type { StorageReading } from './types.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** A Unix-socket path or a loopback name: the server runs on this machine. */
export function isLocalHost(host: string | undefined): boolean {
  if (!host) return false;
  return host.startsWith('/') || LOCAL_HOSTS.has(host.toLowerCase());
}

/**
 * Everything the cluster keeps on disk that a managed plan bills against:
 * every database plus the WAL directory. Falls back to this database alone
 * when the role may not size the others.
 */
async function clusterUsedBytes(db: Database, signal?: AbortSignal): Promise<number | null> {
  try {
    const res = await db.query<{ dbs: string; wal: string }>(
      `SELECT (SELECT sum(pg_database_size(oid)) FROM pg_database WHERE datallowconn) AS dbs,
              (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()) AS wal`,
      [],
      { signal },
    );
    return Number(res.rows[0]!.dbs) + Number(res.rows[0]!.wal);
  } catch {
    return null;
  }
}

/**
 * The data directory's path (needs pg_read_all_settings, part of pg_monitor),
 * if this host can see it and it belongs to the server we are connected to:
 * postmaster.pid names the port, so a same-path directory of another cluster
 * is not mistaken for ours.
 */
async function localDataDirectory(db: Database, signal?: AbortSignal): Promise<string | null> {
  let dir: string;
  let port: string;
  try {
    const res = await db.query<{ dir: string | null; port: string }>(
      "SELECT current_setting('data_directory', true) AS dir, current_setting('port') AS port",
      [],
      { signal },
    );
    if (!res.rows[0]?.dir) return null;
    dir = res.rows[0].dir;
    port = res.rows[0].port;
  } catch {
    return null;
  }
  try {
    const pid = await readFile(join(dir, 'postmaster.pid'), 'utf8');
    const lines = pid.split('\n');
    if (lines[3] !== undefined && lines[3].trim() !== port) return null;
  } catch (err) {
    // Unreadable (another user's 0600 file) is fine; missing means "not on this host".
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return null;
  }
  return dir;
}

export interface StorageOptions {
  local: boolean;
  storageLimitBytes: number | undefined;
  databaseSizeBytes: number;
  signal?: AbortSignal;
  logger: Logger;
}

export async function readStorage(db: Database, o: StorageOptions): Promise<StorageReading> {
  if (o.storageLimitBytes !== undefined && o.storageLimitBytes > 0) {
    const used = (await clusterUsedBytes(db, o.signal)) ?? o.databaseSizeBytes;
    return {
      source: 'configured',
      usedBytes: used,
      limitBytes: o.storageLimitBytes,
      availableBytes: Math.max(0, o.storageLimitBytes - used),
      usagePercent: (100 * used) / o.storageLimitBytes,
    };
  }
  if (o.local) {
    const dir = await localDataDirectory(db, o.signal);
    if (dir) {
      try {
        const s = await statfs(dir);
        // As df: used = blocks - free, capacity = used + what non-root may still allocate.
        const used = (s.blocks - s.bfree) * s.bsize;
        const avail = s.bavail * s.bsize;
        const limit = used + avail;
        return {
          source: 'filesystem',
          usedBytes: used,
          limitBytes: limit,
          availableBytes: avail,
          usagePercent: limit > 0 ? (100 * used) / limit : null,
          dataDirectory: dir,
        };
      } catch (err) {
        o.logger.debug({ event: 'statfs_failed', err }, 'cannot statfs the data directory');
      }
    }
  }
  return {
    source: 'unknown',
    usedBytes: o.databaseSizeBytes,
    limitBytes: null,
    availableBytes: null,
    usagePercent: null,
  };
}
