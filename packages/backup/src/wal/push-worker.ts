import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, isDbrsError, type Logger, redactString, silentLogger } from '@voicehive/db-core';
import { forEachConcurrently } from '../storage/for-each-concurrently.js';
import type { WalArchive } from './archive.js';
import { parseWalName } from './names.js';
import { fileIdentity } from './push-identity.js';
import { acquireWorkerLock } from './push-lock.js';
import { PushStatusFiles } from './push-status.js';

export interface PushWorkerOptions {
  archive: WalArchive;
  /** PostgreSQL's pg_wal: the files are `<walDir>/<name>`, their `.ready` marks under `<walDir>/archive_status`. */
  walDir: string;
  /** The spool: lock and status files (created, mode 0700). */
  spoolDir: string;
  /** Files pushed at the same time. Default 2. */
  concurrency?: number;
  /** The worker exits after this long with nothing to push, in ms. Default 10 s. */
  idleMs?: number;
  /** How often pg_wal/archive_status is read while idle, in ms. Default 100. */
  pollMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface PushWorkerResult {
  /** False when another live worker held the spool's lock (this one did nothing). */
  ran: boolean;
  pushed: string[];
  failed: string[];
}

/** The one line an `.error` file holds: the error code, then the redacted message (no stack, no key). */
export function errorDetail(err: unknown): string {
  const code = isDbrsError(err) ? err.code : 'WAL_PUSH_FAILED';
  return `${code}: ${redactString(errorMessage(err)).replace(/\s*\n\s*/g, ' ')}`;
}

/**
 * The background half of the asynchronous archive_command (pgBackRest's
 * archive-async): one long-lived process, keys derived once, pushes every
 * file PostgreSQL marked `.ready`, oldest first, several at a time, through
 * the same WalArchive.push as the synchronous command (identical re-push ok,
 * different content refused and alarmed). `<name>.ok` is written only after
 * push() returned, i.e. once the object is durably stored; a failure writes
 * `<name>.error` and the file is not tried again until the foreground has
 * consumed that error (PostgreSQL retries the command). One worker per spool
 * (worker.lock); it exits after idleMs with nothing to do.
 */
export async function runPushWorker(options: PushWorkerOptions): Promise<PushWorkerResult> {
  const logger = (options.logger ?? silentLogger()).child({ component: 'wal-push-worker' });
  await mkdir(options.spoolDir, { recursive: true, mode: 0o700 });
  const lock = await acquireWorkerLock(options.spoolDir);
  if (!lock) return { ran: false, pushed: [], failed: [] };
  const result: PushWorkerResult = { ran: true, pushed: [], failed: [] };
  const status = new PushStatusFiles(options.spoolDir);
  const idleMs = options.idleMs ?? 10_000;
  const concurrency = options.concurrency ?? 2;
  logger.info({ event: 'wal_push_worker_started', pid: process.pid, concurrency, idleMs }, 'WAL push worker started');
  try {
    let busyAt = Date.now();
    while (!options.signal?.aborted) {
      const todo = await pending(options.walDir, status);
      if (todo.length === 0) {
        if (Date.now() - busyAt >= idleMs) break;
        await sleep(options.pollMs ?? 100, undefined, { signal: options.signal }).catch(() => {});
        continue;
      }
      await forEachConcurrently(todo, concurrency, async (name) => {
        try {
          const path = join(options.walDir, name);
          // Taken before the push: a file replaced meanwhile then mismatches and is pushed again (never the reverse).
          const source = await fileIdentity(path);
          const r = await options.archive.push(path, { signal: options.signal });
          await status.writeOk(name, `${r.status} ${r.storedBytes}\n${source}`);
          result.pushed.push(name);
        } catch (err) {
          if (options.signal?.aborted) return;
          logger.error({ event: 'wal_async_push_failed', name, err }, 'asynchronous WAL push failed');
          await status.writeError(name, errorDetail(err));
          result.failed.push(name);
        }
      });
      busyAt = Date.now();
    }
    logger.info(
      {
        event: 'wal_push_worker_stopped',
        pid: process.pid,
        pushed: result.pushed.length,
        failed: result.failed.length,
      },
      options.signal?.aborted ? 'WAL push worker stopped' : 'WAL push worker idle: exiting',
    );
    return result;
  } finally {
    await lock.release();
  }
}

/**
 * The `.ready` files without a status, oldest first; drops the status of
 * files PostgreSQL no longer offers (their `.ready` became `.done`).
 */
async function pending(walDir: string, status: PushStatusFiles): Promise<string[]> {
  const entries = await readdir(join(walDir, 'archive_status')).catch(() => [] as string[]);
  const ready = new Set(
    entries.filter((e) => e.endsWith('.ready') && parseWalName(e.slice(0, -6))).map((e) => e.slice(0, -6)),
  );
  const known = await status.names();
  for (const name of known.keys()) if (!ready.has(name)) await status.forget(name);
  // Timeline history files first (a standby needs them to follow a promotion), then by name: the archiver's order.
  return [...ready]
    .filter((n) => !known.has(n))
    .sort((a, b) => Number(b.endsWith('.history')) - Number(a.endsWith('.history')) || (a < b ? -1 : 1));
}
