import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDbrsError } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/pipeline/encryption/keyring.js';
import { LocalStorage } from '../../src/storage/local.js';
import { WalArchive } from '../../src/wal/archive.js';
import { pushThroughWorker } from '../../src/wal/push-async.js';
import { fileIdentity } from '../../src/wal/push-identity.js';
import { acquireWorkerLock, lockHolder, WORKER_LOCK, WORKER_LOG, workerRunning } from '../../src/wal/push-lock.js';
import { runPushWorker } from '../../src/wal/push-worker.js';
import { craftSegment, writeSegment } from './segments.js';

const PASSPHRASE = 'async push test passphrase';
let dir: string;
let ring: KeyRing;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vhbk-walasync-'));
  ring = await KeyRing.create({ encryptionKey: PASSPHRASE, scryptLogN: 10 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pg_wal layout (files plus archive_status/<name>.ready), a spool and an archive on local storage. */
async function layout(names: string[]) {
  const root = await mkdtemp(join(dir, 'c-'));
  const walDir = join(root, 'pg_wal');
  await mkdir(join(walDir, 'archive_status'), { recursive: true });
  for (const n of names) {
    await writeSegment(walDir, n);
    await writeFile(join(walDir, 'archive_status', `${n}.ready`), '');
  }
  const storage = new LocalStorage({ path: join(root, 'store') });
  const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd', zstdProgram: false });
  return { root, walDir, spoolDir: join(walDir, '.dbrs-push'), storage, archive };
}

/** Everything the spool holds, as one text: status files and anything else the worker left. */
async function spoolText(spoolDir: string): Promise<string> {
  const files = await readdir(spoolDir);
  return (await Promise.all(files.map((f) => readFile(join(spoolDir, f), 'utf8')))).join('\n');
}

const SEGS = ['000000010000000000000001', '000000010000000000000002', '000000010000000000000003'];

describe('asynchronous WAL push: worker and status files (local storage)', () => {
  it('the worker pushes every ready file, writes <name>.ok after storing it, and the foreground returns on it', async () => {
    const l = await layout(SEGS);
    const r = await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(r).toEqual({ ran: true, pushed: expect.arrayContaining(SEGS), failed: [] });
    for (const n of SEGS) {
      // .ok names the file it stored (H3): what a stat of that file gives now.
      expect(await readFile(join(l.spoolDir, `${n}.ok`), 'utf8')).toMatch(/^stored \d+\nsource \d+:\d+:\d+:\d+\n$/);
      expect((await readFile(join(l.spoolDir, `${n}.ok`), 'utf8')).split('\n')[1]).toBe(
        await fileIdentity(join(l.walDir, n)),
      );
      const back = join(l.root, `${n}.back`);
      await l.archive.fetch(n, back);
      expect((await readFile(back)).equals(await readFile(join(l.walDir, n)))).toBe(true);
    }
    let started = 0;
    const done = await pushThroughWorker({
      path: join(l.walDir, SEGS[1]!),
      spoolDir: l.spoolDir,
      timeoutMs: 5_000,
      startWorker: () => {
        started++;
        return { running: () => true };
      },
    });
    expect(done).toMatchObject({ name: SEGS[1], detail: expect.stringMatching(/^stored /), startedWorker: false });
    expect(started).toBe(0);
    // The lock is gone once the worker returned.
    expect(await lockHolder(l.spoolDir)).toBeUndefined();
  });

  it('forgets the status of files PostgreSQL no longer offers (.ready became .done)', async () => {
    const l = await layout(SEGS.slice(0, 1));
    await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(await readdir(l.spoolDir)).toContain(`${SEGS[0]}.ok`);
    await rm(join(l.walDir, 'archive_status', `${SEGS[0]}.ready`));
    await writeFile(join(l.walDir, 'archive_status', `${SEGS[0]}.done`), '');
    await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(await readdir(l.spoolDir)).not.toContain(`${SEGS[0]}.ok`);
  });

  it('a different file under an archived name: <name>.error (ALREADY_EXISTS, no secret), the foreground throws it and consumes it', async () => {
    const l = await layout(SEGS.slice(0, 1));
    await l.archive.push(join(l.walDir, SEGS[0]!));
    await writeFile(join(l.walDir, SEGS[0]!), craftSegment(SEGS[0]!));
    const r = await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(r.failed).toEqual([SEGS[0]]);
    const text = await spoolText(l.spoolDir);
    expect(text).toMatch(/^ALREADY_EXISTS: /m);
    expect(text).not.toContain(PASSPHRASE);
    const err = await pushThroughWorker({
      path: join(l.walDir, SEGS[0]!),
      spoolDir: l.spoolDir,
      timeoutMs: 5_000,
      startWorker: () => ({ running: () => true }),
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'ALREADY_EXISTS')).toBe(true);
    expect(await readdir(l.spoolDir)).not.toContain(`${SEGS[0]}.error`);
  });

  it('storage failing: <name>.error with the storage error; the next worker tries again once it is consumed', async () => {
    const l = await layout(SEGS.slice(0, 1));
    // The storage root is a file: every write fails, as a full or unmounted disk would.
    await writeFile(join(l.root, 'store'), 'not a directory');
    const first = await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(first.failed).toEqual([SEGS[0]]);
    // Not retried while the error is unconsumed: PostgreSQL's retry of the command drives the retries.
    const idle = await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(idle).toEqual({ ran: true, pushed: [], failed: [] });
    const err = await pushThroughWorker({
      path: join(l.walDir, SEGS[0]!),
      spoolDir: l.spoolDir,
      timeoutMs: 5_000,
      startWorker: () => ({ running: () => true }),
    }).catch((e: unknown) => e);
    expect(isDbrsError(err) && err.code).toBe('STORAGE_FAILED');
    await rm(join(l.root, 'store'));
    const again = await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    expect(again.pushed).toEqual([SEGS[0]]);
  });

  it('the foreground gives up after its timeout when no worker answers, having started one', async () => {
    const l = await layout(SEGS.slice(0, 1));
    let started = 0;
    const t0 = Date.now();
    const err = await pushThroughWorker({
      path: join(l.walDir, SEGS[0]!),
      spoolDir: l.spoolDir,
      timeoutMs: 300,
      startWorker: () => {
        started++;
        return { running: () => true };
      },
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'TIMEOUT')).toBe(true);
    // The hint names where the worker's errors are (the worker gets no --verbose).
    expect(String((err as Error).message)).toContain(join(l.spoolDir, WORKER_LOG));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(started).toBe(1);
  });

  it('a file PostgreSQL did not mark ready is refused (INVALID_ARGUMENT), not waited for', async () => {
    const l = await layout([]);
    const path = await writeSegment(l.walDir, SEGS[0]!);
    const err = await pushThroughWorker({
      path,
      spoolDir: l.spoolDir,
      timeoutMs: 60_000,
      startWorker: () => ({ running: () => true }),
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('asynchronous WAL push: one worker per spool', () => {
  it('a second worker finds the live lock and does nothing', async () => {
    const l = await layout(SEGS);
    const runs = await Promise.all([
      runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 }),
      runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 }),
    ]);
    expect(runs.filter((r) => r.ran)).toHaveLength(1);
    expect(runs.flatMap((r) => r.pushed).sort()).toEqual(SEGS);
  });

  it("a dead worker's lock (SIGKILLed: its pid is gone) is taken over; a live one is not", async () => {
    const spoolDir = await mkdtemp(join(dir, 'lock-'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(spoolDir, WORKER_LOCK), JSON.stringify({ pid: dead }));
    const lock = await acquireWorkerLock(spoolDir);
    expect(lock).toBeDefined();
    expect(await lockHolder(spoolDir)).toBe(process.pid);
    expect(await acquireWorkerLock(spoolDir)).toBeUndefined();
    await lock!.release();
    expect(await lockHolder(spoolDir)).toBeUndefined();
  });
});

/** A startWorker that runs a real worker in this process, as `dbrs wal push-worker` would. */
function inProcessWorker(l: Awaited<ReturnType<typeof layout>>, starts: { n: number }) {
  return () => {
    starts.n++;
    let done = false;
    void runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 }).finally(() => {
      done = true;
    });
    return { running: () => !done };
  };
}

describe('asynchronous WAL push: review7 fixes', () => {
  it('H3: a .ok left for another file under the same name is not trusted: dropped, pushed again, ALREADY_EXISTS', async () => {
    const l = await layout(SEGS.slice(0, 1));
    await runPushWorker({ archive: l.archive, walDir: l.walDir, spoolDir: l.spoolDir, idleMs: 0 });
    const path = join(l.walDir, SEGS[0]!);
    // A new cluster (restored on the same timeline) writes that segment name with other content: a new file.
    await writeFile(`${path}.new`, craftSegment(SEGS[0]!));
    await rename(`${path}.new`, path);
    expect(await readdir(l.spoolDir)).toContain(`${SEGS[0]}.ok`);
    const starts = { n: 0 };
    const err = await pushThroughWorker({
      path,
      spoolDir: l.spoolDir,
      timeoutMs: 30_000,
      startWorker: inProcessWorker(l, starts),
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'ALREADY_EXISTS')).toBe(true);
    expect(starts.n).toBe(1);
  });

  it('H2: a lock naming a live but unrelated process (pid 1, another start time) is dead: a worker starts and the push succeeds', async () => {
    const l = await layout(SEGS.slice(0, 1));
    await mkdir(l.spoolDir, { recursive: true });
    const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    await writeFile(join(l.spoolDir, WORKER_LOCK), JSON.stringify({ pid: 1, start: '1', boot }));
    expect(await workerRunning(l.spoolDir)).toBe(false);
    const starts = { n: 0 };
    const done = await pushThroughWorker({
      path: join(l.walDir, SEGS[0]!),
      spoolDir: l.spoolDir,
      timeoutMs: 30_000,
      startWorker: inProcessWorker(l, starts),
    });
    expect(done).toMatchObject({ name: SEGS[0], detail: expect.stringMatching(/^stored \d+$/), startedWorker: true });
    expect(starts.n).toBe(1);
    // Our own lock (right start time and boot id) is live.
    const lock = await acquireWorkerLock(l.spoolDir);
    expect(await workerRunning(l.spoolDir)).toBe(true);
    await lock!.release();
  });

  it('M1: a worker that exits without a status fails the call at once with the end of worker.log (redacted), one start only', async () => {
    const l = await layout(SEGS.slice(0, 1));
    await mkdir(l.spoolDir, { recursive: true });
    await writeFile(
      join(l.spoolDir, WORKER_LOG),
      'older line\nCONFIG_INVALID: cannot open postgres://archiver:hunter2secret@db.example/app\n',
    );
    let started = 0;
    const err = await pushThroughWorker({
      path: join(l.walDir, SEGS[0]!),
      spoolDir: l.spoolDir,
      timeoutMs: 60_000,
      startWorker: () => {
        started++;
        return { running: () => false };
      },
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'TOOL_FAILED')).toBe(true);
    const message = String((err as Error).message);
    expect(message).toContain('CONFIG_INVALID: cannot open postgres://archiver:');
    expect(message).not.toContain('hunter2secret');
    expect(started).toBe(1);
  });
});
