import { text } from 'node:stream/consumers';
import { isDbrsError } from '@voicehive/db-core';
import type { BackupStorage } from '../storage/types.js';
import { META_FOLDER } from './archive.js';
import type { WalGap } from './continuity.js';

/**
 * The outcome of the last `verifyWal()`, kept next to the archive so that
 * every process reading the same storage (a separate `dbrs status`, another
 * sidecar instance) sees what the process that ran the check found.
 */
export interface WalVerifyRecord {
  /** When the check finished (ISO 8601). */
  at: string;
  ok: boolean;
  gaps: WalGap[];
  /** Physical backups whose own end segment is not archived. */
  unreachable: string[];
  /** Retained physical base backups the check started from. */
  backups: number;
}

function key(prefix: string): string {
  return `${prefix}/${META_FOLDER}/last-verify.json`;
}

export async function writeVerifyRecord(
  storage: BackupStorage,
  prefix: string,
  record: WalVerifyRecord,
  signal?: AbortSignal,
): Promise<void> {
  await storage.put(key(prefix), Buffer.from(`${JSON.stringify(record)}\n`), {
    contentType: 'application/json',
    ...(signal ? { signal } : {}),
  });
}

/** The last record, or undefined when no check ran yet against this storage. */
export async function readVerifyRecord(
  storage: BackupStorage,
  prefix: string,
  signal?: AbortSignal,
): Promise<WalVerifyRecord | undefined> {
  if (!(await storage.head(key(prefix), { signal }))) return undefined;
  try {
    return JSON.parse(await text(await storage.get(key(prefix), { signal }))) as WalVerifyRecord;
  } catch (err) {
    // Deleted between head and get (a concurrent cleanup): as if none.
    if (isDbrsError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
}
