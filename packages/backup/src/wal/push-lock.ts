import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { processIdentity, stillRunning } from '../tools/process-identity.js';

/** The lock file of the asynchronous pusher: `{"pid":…}` of the one worker serving a spool. */
export const WORKER_LOCK = 'worker.lock';
/** The worker's stderr in the spool (the CLI appends it there): why pushes fail. */
export const WORKER_LOG = 'worker.log';
/** Gate for replacing a dead worker's lock, so two starters cannot both take it over. */
const TAKEOVER = 'worker.lock.takeover';
/** A takeover gate older than this was left by a starter that died in between (it is held for milliseconds). */
const TAKEOVER_STALE_MS = 10_000;

/** What `worker.lock` holds: the worker's pid and what tells that process apart from a later one with its pid. */
interface LockRecord {
  pid: number;
  /** The process's start time, `/proc/<pid>/stat` field 22 (clock ticks since boot). */
  start?: string;
  /** `/proc/sys/kernel/random/boot_id`: a lock from before a reboot names no process of this boot. */
  boot?: string;
}

async function readLock(spoolDir: string): Promise<LockRecord | undefined> {
  const text = await readFile(join(spoolDir, WORKER_LOCK), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as { pid?: unknown; start?: unknown; boot?: unknown };
    const pid = Number(r.pid);
    if (!Number.isInteger(pid)) return undefined;
    return {
      pid,
      ...(typeof r.start === 'string' ? { start: r.start } : {}),
      ...(typeof r.boot === 'string' ? { boot: r.boot } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * True while the process the lock names is the one that took it. The spool
 * outlives reboots and crashes, and a later, unrelated process (a PostgreSQL
 * backend, the archiver) can get the dead worker's pid; such a lock is dead.
 */
function lockAlive(lock: LockRecord): Promise<boolean> {
  return stillRunning(lock);
}

/** The pid in the spool's worker lock, or undefined when there is no lock or it cannot be read. */
export async function lockHolder(spoolDir: string): Promise<number | undefined> {
  return (await readLock(spoolDir))?.pid;
}

/** True when a live worker holds the spool's lock. */
export async function workerRunning(spoolDir: string): Promise<boolean> {
  const lock = await readLock(spoolDir);
  return lock !== undefined && (await lockAlive(lock));
}

export interface WorkerLock {
  release(): Promise<void>;
}

/**
 * Takes the spool's worker lock for this process: created exclusively; a
 * lock whose process is gone (a worker killed with SIGKILL, or its pid now
 * another process's) is replaced, once,
 * behind an exclusive takeover gate. Undefined when a live worker holds it.
 */
export async function acquireWorkerLock(spoolDir: string): Promise<WorkerLock | undefined> {
  const path = join(spoolDir, WORKER_LOCK);
  const me = { ...(await processIdentity(process.pid)), startedAt: new Date().toISOString() };
  const body = `${JSON.stringify(me)}\n`;
  if (await create(path, body)) return lockOf(path);
  if (await workerRunning(spoolDir)) return undefined;
  const gate = join(spoolDir, TAKEOVER);
  const gateAge = await stat(gate).then(
    (s) => Date.now() - s.mtimeMs,
    () => undefined,
  );
  if (gateAge !== undefined && gateAge > TAKEOVER_STALE_MS) await rm(gate, { force: true });
  if (!(await create(gate, body))) return undefined;
  try {
    // Re-read behind the gate: another starter may have replaced the dead lock already.
    if (await workerRunning(spoolDir)) return undefined;
    await rm(path, { force: true });
    return (await create(path, body)) ? lockOf(path) : undefined;
  } finally {
    await rm(gate, { force: true });
  }
}

async function create(path: string, body: string): Promise<boolean> {
  const handle = await open(path, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return undefined;
    throw err;
  });
  if (!handle) return false;
  try {
    await handle.writeFile(body);
  } finally {
    await handle.close();
  }
  return true;
}

function lockOf(path: string): WorkerLock {
  return {
    async release() {
      // Only our own: a lock replaced after this process was presumed dead belongs to its successor.
      const text = await readFile(path, 'utf8').catch(() => '');
      if (text.includes(`"pid":${process.pid},`)) await rm(path, { force: true });
    },
  };
}
