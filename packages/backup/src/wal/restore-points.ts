import { text } from 'node:stream/consumers';
import { type Database, DbrsError } from '@voicehive/db-core';
import type { BackupStorage } from '../storage/types.js';
import { META_FOLDER } from './archive.js';
import { assertRestorePointName } from './recovery-target.js';

export interface RestorePoint {
  name: string;
  lsn: string;
  /** The server's clock when it was created. */
  createdAt: string;
  timeline: number;
  /** The WAL file holding it: recovery to it needs this file archived. */
  walFile: string;
}

function key(prefix: string, name: string): string {
  return `${prefix}/${META_FOLDER}/restore-points/${encodeURIComponent(name)}.json`;
}

/**
 * pg_create_restore_point, recorded next to the archive: PostgreSQL keeps
 * restore points only inside the WAL, so without a record nobody can list
 * them or tell which base backup comes before one (pgbackrest#1244).
 */
export async function createRestorePoint(
  db: Database,
  storage: BackupStorage,
  prefix: string,
  name: string,
  signal?: AbortSignal,
): Promise<RestorePoint> {
  assertRestorePointName(name);
  if (await storage.head(key(prefix, name), { signal })) {
    throw new DbrsError('ALREADY_EXISTS', `A restore point named "${name}" already exists.`, {
      hint: 'Recovery stops at the first restore point of a name: give each a unique name (add a date or a revision).',
    });
  }
  const r = await db.query<{ lsn: string; at: Date; tli: number; file: string }>(
    `SELECT p::text AS lsn, now() AS at, (SELECT timeline_id FROM pg_control_checkpoint()) AS tli, pg_walfile_name(p) AS file
       FROM pg_create_restore_point($1) AS p`,
    [name],
    { signal },
  );
  const row = r.rows[0]!;
  const point: RestorePoint = {
    name,
    lsn: row.lsn,
    createdAt: new Date(row.at).toISOString(),
    timeline: Number(row.tli),
    walFile: row.file,
  };
  await storage.put(key(prefix, name), Buffer.from(`${JSON.stringify(point)}\n`), {
    contentType: 'application/json',
    signal,
  });
  return point;
}

export async function listRestorePoints(
  storage: BackupStorage,
  prefix: string,
  signal?: AbortSignal,
): Promise<RestorePoint[]> {
  const out: RestorePoint[] = [];
  for await (const info of storage.list(`${prefix}/${META_FOLDER}/restore-points/`, { signal })) {
    try {
      out.push(JSON.parse(await text(await storage.get(info.key, { signal }))) as RestorePoint);
    } catch {
      // An unreadable record is skipped: the WAL still holds the point itself.
    }
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function findRestorePoint(
  storage: BackupStorage,
  prefix: string,
  name: string,
  signal?: AbortSignal,
): Promise<RestorePoint> {
  const head = await storage.head(key(prefix, name), { signal });
  if (!head) {
    const known = (await listRestorePoints(storage, prefix, signal)).map((p) => p.name);
    throw new DbrsError('NOT_FOUND', `There is no restore point named "${name}".`, {
      hint: known.length
        ? `Known restore points: ${known.slice(-20).join(', ')}.`
        : 'No restore point was created through createRestorePoint / dbrs wal restore-point.',
      details: { name },
    });
  }
  return JSON.parse(await text(await storage.get(key(prefix, name), { signal }))) as RestorePoint;
}
