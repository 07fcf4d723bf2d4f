import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The lock file of the asynchronous pusher: `{"pid":…}` of the one worker serving a spool. */
export const WORKER_LOCK = 'worker.lock';
/** Gate for replacing a dead worker's lock, so two starters cannot both take it over. */
const TAKEOVER = 'worker.lock.takeover';
/** A takeover gate older than this was left by a starter that died in between (it is held for milliseconds). */
const TAKEOVER_STALE_MS = 10_000;

/** True while process `pid` exists (EPERM: it exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the spool's worker lock, or undefined when there is no lock or it cannot be read. */
export async function lockHolder(spoolDir: string): Promise<number | undefined> {
  const text = await readFile(join(spoolDir, WORKER_LOCK), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when a live worker holds the spool's lock. */
export async function workerRunning(spoolDir: string): Promise<boolean> {
  const pid = await lockHolder(spoolDir);
  return pid !== undefined && processAlive(pid);
}

export interface WorkerLock {
  release(): Promise<void>;
}

/**
 * Takes the spool's worker lock for this process: created exclusively; a
 * lock whose process is gone (a worker killed with SIGKILL) is replaced, once,
 * behind an exclusive takeover gate. Undefined when a live worker holds it.
 */
export async function acquireWorkerLock(spoolDir: string): Promise<WorkerLock | undefined> {
  const path = join(spoolDir, WORKER_LOCK);
  const body = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
  if (await create(path, body)) return lockOf(path);
  const holder = await lockHolder(spoolDir);
  if (holder !== undefined && processAlive(holder)) return undefined;
  const gate = join(spoolDir, TAKEOVER);
  const gateAge = await stat(gate).then(
    (s) => Date.now() - s.mtimeMs,
    () => undefined,
  );
  if (gateAge !== undefined && gateAge > TAKEOVER_STALE_MS) await rm(gate, { force: true });
  if (!(await create(gate, body))) return undefined;
  try {
    // Re-read behind the gate: another starter may have replaced the dead lock already.
    const again = await lockHolder(spoolDir);
    if (again !== undefined && processAlive(again)) return undefined;
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
