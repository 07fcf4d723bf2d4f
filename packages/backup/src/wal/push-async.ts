import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DbrsError, type DbrsErrorCode, throwIfAborted } from '@voicehive/db-core';
import { assertWalName } from './names.js';
import { workerRunning } from './push-lock.js';
import { PushStatusFiles } from './push-status.js';

/** A started background worker, as the foreground sees it. */
export interface StartedWorker {
  /** False once the process has exited (it found another worker, idled out, or died). */
  running(): boolean;
}

export interface AsyncPushOptions {
  /** The WAL file as archive_command got it (%p): `<pg_wal>/<name>`. */
  path: string;
  spoolDir: string;
  /** How long to wait for this file's status before failing (PostgreSQL then retries), in ms. */
  timeoutMs: number;
  /** Starts a detached worker for `walDir` (the CLI spawns `dbrs wal push-worker`). */
  startWorker(walDir: string): StartedWorker;
  /** How often the status is read while waiting, in ms. Default 50. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface AsyncPushResult {
  name: string;
  /** What the worker wrote in `<name>.ok`: `stored <bytes>` or `already-archived <bytes>`. */
  detail: string;
  /** Whether this call had to start a worker. */
  startedWorker: boolean;
  waitedMs: number;
}

/**
 * The foreground half of the asynchronous archive_command: returns at once
 * when the worker already stored this file (`<name>.ok`), otherwise makes
 * sure one worker runs (a new one when none holds the lock, or when the one
 * it started is gone) and waits, at most timeoutMs, for this file's status.
 * `<name>.error` is consumed (so the worker tries again) and thrown with its
 * code: PostgreSQL sees a non-zero exit and retries.
 */
export async function pushThroughWorker(options: AsyncPushOptions): Promise<AsyncPushResult> {
  const started = Date.now();
  const file = assertWalName(basename(String(options.path)));
  const walDir = dirname(String(options.path));
  const ready = join(walDir, 'archive_status', `${file.name}.ready`);
  if (!(await stat(ready).catch(() => undefined)))
    throw new DbrsError('INVALID_ARGUMENT', `${options.path} is not marked ready for archiving (no ${ready}).`, {
      hint: "The asynchronous push serves the files PostgreSQL marks ready; set it as archive_command = 'dbrs wal push %p --async', or push other files without --async.",
    });
  await mkdir(options.spoolDir, { recursive: true, mode: 0o700 });
  const status = new PushStatusFiles(options.spoolDir);
  let worker: StartedWorker | undefined;
  for (;;) {
    throwIfAborted(options.signal, 'WAL archiving');
    const s = await status.read(file.name);
    if (s?.state === 'ok')
      return { name: file.name, detail: s.detail, startedWorker: worker !== undefined, waitedMs: Date.now() - started };
    if (s?.state === 'error') {
      await status.consumeError(file.name);
      throw storedError(file.name, s.detail);
    }
    if (!worker?.running() && !(await workerRunning(options.spoolDir))) worker = options.startWorker(walDir);
    if (Date.now() - started >= options.timeoutMs)
      throw new DbrsError(
        'TIMEOUT',
        `${file.name} was not archived by the background worker within ${options.timeoutMs} ms; PostgreSQL will retry.`,
        { hint: `See the worker's errors with --verbose; the spool is ${options.spoolDir}.` },
      );
    await sleep(options.pollMs ?? 50);
  }
}

/** The worker's `.error` line (`CODE: message`) as the error this command fails with. */
function storedError(name: string, detail: string): DbrsError {
  const m = /^([A-Z_]+): (.*)$/s.exec(detail);
  const code = (m?.[1] ?? 'STORAGE_FAILED') as DbrsErrorCode;
  return new DbrsError(
    m?.[1] === 'WAL_PUSH_FAILED' ? 'STORAGE_FAILED' : code,
    `the background push of ${name} failed: ${m?.[2] ?? detail}`,
    { details: { name } },
  );
}
