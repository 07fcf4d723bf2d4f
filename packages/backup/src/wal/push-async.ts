import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DbrsError, type DbrsErrorCode, redactString, throwIfAborted } from '@voicehive/db-core';
import { assertWalName } from './names.js';
import { okMatchesFile } from './push-identity.js';
import { WORKER_LOG, workerRunning } from './push-lock.js';
import { type PushStatus, PushStatusFiles } from './push-status.js';

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
 * when the worker already stored this file (`<name>.ok` naming this file),
 * otherwise makes sure one worker runs (starting one, at most once per call,
 * when no live worker holds the lock) and waits, at most timeoutMs, for this
 * file's status; a worker it started that exits without one fails the call.
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
  // At most one start per call: a worker that cannot run (bad configuration) is not started again in a loop.
  let worker: StartedWorker | undefined;
  for (;;) {
    throwIfAborted(options.signal, 'WAL archiving');
    const s = await verdict(status, file.name, options.path);
    if (s?.state === 'ok')
      return { name: file.name, detail: s.detail, startedWorker: worker !== undefined, waitedMs: Date.now() - started };
    if (s?.state === 'error') {
      await status.consumeError(file.name);
      throw storedError(file.name, s.detail);
    }
    if (!(await workerRunning(options.spoolDir))) {
      if (!worker) worker = options.startWorker(walDir);
      else if (!worker.running()) await failedWorker(status, file.name, options);
    }
    if (Date.now() - started >= options.timeoutMs)
      throw new DbrsError(
        'TIMEOUT',
        `${file.name} was not archived by the background worker within ${options.timeoutMs} ms; PostgreSQL will retry.`,
        { hint: `See why in ${join(options.spoolDir, WORKER_LOG)}.` },
      );
    await sleep(options.pollMs ?? 50);
  }
}

/**
 * This file's status. A `.ok` counts only when it names this very file
 * (push-identity.ts); one that does not is deleted, so the worker pushes the
 * file again and the archive's own check decides (identical: already
 * archived; different content: ALREADY_EXISTS).
 */
async function verdict(status: PushStatusFiles, name: string, path: string): Promise<PushStatus | undefined> {
  const s = await status.read(name);
  if (s?.state !== 'ok') return s;
  if (await okMatchesFile(s.detail, path)) return { state: 'ok', detail: s.detail.split('\n')[0]! };
  await status.dropOk(name);
  return undefined;
}

/**
 * The worker this call started has exited and no live worker holds the
 * lock: unless it left this file's status after all, it could not run
 * (configuration, credentials, a missing script). Fails at once with the
 * end of worker.log rather than starting more workers.
 */
async function failedWorker(status: PushStatusFiles, name: string, options: AsyncPushOptions): Promise<void> {
  if (await status.read(name)) return;
  const log = join(options.spoolDir, WORKER_LOG);
  const tail = await readFile(log, 'utf8').then(
    (t) => redactString(t.trimEnd().split('\n').slice(-5).join('\n')).slice(-2000),
    () => '(no worker.log)',
  );
  throw new DbrsError(
    'TOOL_FAILED',
    `the background WAL push worker exited without archiving ${name}; ${log} ends with:\n${tail}`,
    {
      hint: 'Fix what worker.log says (often the configuration or the storage credentials); PostgreSQL retries the command.',
      details: { name },
    },
  );
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
