import { text } from 'node:stream/consumers';
import { DbrsError, isDbrsError } from '@voicehive/db-core';
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
  let body: string;
  try {
    body = await text(await storage.get(key(prefix), { signal }));
  } catch (err) {
    // Deleted between head and get (a concurrent cleanup): as if none.
    if (isDbrsError(err, 'NOT_FOUND')) return undefined;
    throw err;
  }
  return parseRecord(body, key(prefix));
}

/** Checked, not trusted: another version, or a hand edit, may have written it; status must not trip over it. */
function parseRecord(body: string, where: string): WalVerifyRecord {
  let v: Partial<Record<keyof WalVerifyRecord, unknown>> | undefined;
  try {
    v = JSON.parse(body) as typeof v;
  } catch {
    v = undefined;
  }
  const valid =
    typeof v === 'object' &&
    v !== null &&
    typeof v.at === 'string' &&
    typeof v.ok === 'boolean' &&
    Array.isArray(v.gaps) &&
    v.gaps.every((g) => typeof g?.from === 'string' && typeof g?.to === 'string') &&
    Array.isArray(v.unreachable) &&
    typeof v.backups === 'number';
  if (!valid) {
    throw new DbrsError('INTEGRITY_FAILED', `The stored WAL verify record ${where} is not one this version reads.`, {
      hint: 'Run `dbrs wal verify` to check the archive again and write a new record.',
    });
  }
  return v as WalVerifyRecord;
}
