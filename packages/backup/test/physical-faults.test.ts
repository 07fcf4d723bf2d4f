import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type Database } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, DatabaseBackupManager } from '../src/index.js';
import { LocalStorage } from '../src/storage/local.js';
import type { PutOptions } from '../src/storage/types.js';
import type { UploadSource } from '../src/storage/upload-source.js';
import { processIdentity } from '../src/tools/process-identity.js';
import { eventually, exists, stillThere, watchChildren } from './faults/leaks.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

// The base tar is stored while pg_basebackup still writes it (dump/physical-store.ts). These are the ways that
// overlap can go wrong: the tool failing before the file exists, dying mid-file, the storage failing mid-file,
// and an abort. Each must end the backup (no hang), list nothing, store nothing, and leave no child or temp file.

let fx: Fixture;
beforeAll(async () => {
  fx = await hotelFixture(1);
  // ~60 MB more, so pg_basebackup writes its base tar long enough to be frozen in the middle of it.
  await fx.db.query(
    'CREATE TABLE bulk AS SELECT g, md5(g::text) || md5((g * 7)::text) AS t FROM generate_series(1, 600000) g',
  );
});
afterAll(async () => {
  await fx?.done();
});

/** Local storage that records which keys were started and can fail one upload after its first bytes. */
class WatchedStorage extends LocalStorage {
  started: string[] = [];
  failOn?: string;
  protected override async putObject(
    key: string,
    source: UploadSource,
    metadata: Record<string, string>,
    options: PutOptions,
  ): Promise<{ key: string; size: number }> {
    this.started.push(key);
    if (this.failOn && key.includes(this.failOn)) {
      for await (const _ of source.chunks()) break;
      throw new Error('injected: the storage device went away');
    }
    return super.putObject(key, source, metadata, options);
  }
}

async function setup(name: string, db: Database = fx.db) {
  const storage = new WatchedStorage({ path: join(fx.dir, `store-${name}`) });
  const tempDir = await mkdtemp(join(fx.dir, `tmp-${name}-`));
  const mgr = new DatabaseBackupManager(db, {
    storage,
    backupType: BackupType.PHYSICAL,
    encryptionKey: 'physical faults passphrase',
    tempDir,
  });
  return { storage, tempDir, mgr };
}

/** The base tar pg_basebackup is writing under `tempDir`, once it holds bytes. */
function growingBaseTar(tempDir: string): string | undefined {
  for (const d of readdirSync(tempDir)) {
    const f = join(tempDir, d, 'base', 'base.tar.zst');
    try {
      if (statSync(f).size > 0) return f;
    } catch {}
  }
  return undefined;
}

/** Everything the failed backup must not leave: listed backups, stored objects, temp files, tool processes. */
async function expectNothingLeft(s: Awaited<ReturnType<typeof setup>>, seen: Map<number, string>) {
  expect(await s.mgr.listBackups({ database: fx.dbName })).toEqual([]);
  const keys: string[] = [];
  for await (const o of s.storage.list('')) keys.push(o.key);
  expect(keys).toEqual([]);
  expect(await readdir(s.tempDir)).toEqual([]);
  // pg_basebackup forks its WAL streamer: both processes must be gone (the streamer ends once its parent has).
  expect(await eventually(() => stillThere(seen).length === 0, 15_000)).toBe(true);
}

describe('physical backup stored while pg_basebackup writes: faults', () => {
  it('pg_basebackup failing before it writes anything (no REPLICATION right) ends the backup at once', async () => {
    await fx.db.query("CREATE ROLE no_repl LOGIN PASSWORD 'no repl pw' IN ROLE pg_read_all_data, pg_monitor");
    const url = new URL(fx.url);
    url.username = 'no_repl';
    url.password = 'no repl pw';
    const db = createDatabase(url.toString(), { poolMax: 2 });
    try {
      const s = await setup('norepl', db);
      const watch = watchChildren(['pg_basebackup']);
      const err = await s.mgr.createBackup().catch((e: unknown) => e);
      const seen = watch.stop();
      expect(err).toMatchObject({ code: 'TOOL_FAILED' });
      expect((err as Error).message).toMatch(/replication/);
      expect((err as Error).message).not.toContain('no repl pw');
      expect(s.storage.started.filter((k) => k.includes('base.tar'))).toEqual([]);
      await expectNothingLeft(s, seen);
      await s.mgr.close();
    } finally {
      await db.close();
    }
  });

  it('pg_basebackup killed in the middle of its base tar: TOOL_FAILED, the concurrent store aborted', async () => {
    const s = await setup('killed');
    const watch = watchChildren(['pg_basebackup']);
    let pid: number | undefined;
    let frozenAt = -1;
    const running = s.mgr.createBackup(undefined, {
      onSpawn: (i) => {
        pid = i.pid;
      },
    });
    running.catch(() => {});
    // Frozen (SIGSTOP) as soon as its base tar has bytes, so the kill lands mid-file whatever the machine's speed.
    for (let i = 0; i < 30_000 && frozenAt < 0; i++) {
      const f = pid ? growingBaseTar(s.tempDir) : undefined;
      if (f && pid) {
        process.kill(pid, 'SIGSTOP');
        frozenAt = statSync(f).size;
      } else await sleep(1);
    }
    expect(frozenAt).toBeGreaterThan(0);
    // The store of the growing file has started while the tool is frozen mid-write.
    expect(await eventually(() => s.storage.started.some((k) => k.includes('base.tar')), 15_000)).toBe(true);
    process.kill(pid!, 'SIGKILL');
    const err = await running.catch((e: unknown) => e);
    const seen = watch.stop();
    expect(err).toMatchObject({ code: 'TOOL_FAILED' });
    expect((err as Error).message).toContain('SIGKILL');
    await expectNothingLeft(s, seen);
    await s.mgr.close();
  });

  it('storage failing in the middle of the base tar: STORAGE_FAILED, pg_basebackup stopped and reaped', async () => {
    const s = await setup('storage');
    s.storage.failOn = 'base.tar';
    const watch = watchChildren(['pg_basebackup']);
    const err = await s.mgr.createBackup().catch((e: unknown) => e);
    const seen = watch.stop();
    expect(err).toMatchObject({ code: 'STORAGE_FAILED' });
    expect((err as Error).message).toContain('storage device went away');
    expect([...seen.values()]).toContain('pg_basebackup');
    await expectNothingLeft(s, seen);
    await s.mgr.close();
  });

  it('aborted while the base tar is being stored: ABORTED, nothing left', async () => {
    const s = await setup('abort');
    const watch = watchChildren(['pg_basebackup']);
    const ac = new AbortController();
    const running = s.mgr.createBackup(undefined, { signal: ac.signal });
    running.catch(() => {});
    expect(await eventually(() => s.storage.started.some((k) => k.includes('base.tar')), 30_000)).toBe(true);
    ac.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    await expectNothingLeft(s, watch.stop());
    await s.mgr.close();
  });

  // The row counts run on their own session beside pg_basebackup (dump/physical-counts.ts), in a snapshot taken
  // before it starts. A table locked elsewhere holds the counts back until the tool is done.
  describe('row counts beside pg_basebackup', () => {
    const countWaitingOnLock = async (observer: Database) =>
      (
        await observer.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT count(*)%'",
        )
      ).rows;

    it('the counting session terminated: the backup fails with its error, pg_basebackup stopped, nothing left', async () => {
      const observer = createDatabase(fx.server.superuserUrl, { poolMax: 2 });
      const locker = createDatabase(fx.url, { poolMax: 1 });
      try {
        const s = await setup('counts-killed');
        const watch = watchChildren(['pg_basebackup']);
        const locked = locker.withClient(async (c) => {
          await c.query('BEGIN');
          await c.query('LOCK TABLE bulk IN ACCESS EXCLUSIVE MODE');
          const running = s.mgr.createBackup();
          running.catch(() => {});
          // The counts wait on the lock while pg_basebackup runs; then their backend is terminated.
          expect(await eventually(async () => (await countWaitingOnLock(observer)).length === 1, 30_000)).toBe(true);
          const [{ pid }] = (await countWaitingOnLock(observer)) as [{ pid: number }];
          await observer.query('SELECT pg_terminate_backend($1)', [pid]);
          const err = await running.catch((e: unknown) => e);
          await c.query('ROLLBACK');
          return err;
        });
        const err = await locked;
        const seen = watch.stop();
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/terminat/i);
        // pg_basebackup had started while the counts were held back: the two overlap.
        expect([...seen.values()]).toContain('pg_basebackup');
        await expectNothingLeft(s, seen);
        await s.mgr.close();
      } finally {
        await locker.close();
        await observer.close();
      }
    });

    it('aborted while the counts wait on a lock: ABORTED, the counting query cancelled, nothing left', async () => {
      const observer = createDatabase(fx.server.superuserUrl, { poolMax: 2 });
      const locker = createDatabase(fx.url, { poolMax: 1 });
      try {
        const s = await setup('counts-abort');
        const watch = watchChildren(['pg_basebackup']);
        const ac = new AbortController();
        const err = await locker.withClient(async (c) => {
          await c.query('BEGIN');
          await c.query('LOCK TABLE bulk IN ACCESS EXCLUSIVE MODE');
          try {
            const running = s.mgr.createBackup(undefined, { signal: ac.signal });
            running.catch(() => {});
            expect(await eventually(async () => (await countWaitingOnLock(observer)).length === 1, 30_000)).toBe(true);
            ac.abort();
            // Returns while the lock is still held: the waiting count was cancelled, not waited for.
            return await running.catch((e: unknown) => e);
          } finally {
            await c.query('ROLLBACK');
          }
        });
        expect(err).toMatchObject({ code: 'ABORTED' });
        expect(await countWaitingOnLock(observer)).toEqual([]);
        await expectNothingLeft(s, watch.stop());
        await s.mgr.close();
      } finally {
        await locker.close();
        await observer.close();
      }
    });
  });

  it('a pg_basebackup left running by a backup process that was SIGKILLed is ended, and its temp dir removed, by the next physical backup', async () => {
    const s = await setup('orphan');
    // The dead owner: a real process, recorded while it ran, then killed (as a SIGKILLed dbrs would be).
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    const ownerId = await processIdentity(owner.pid!);
    const ownerGone = new Promise((r) => owner.once('exit', r));
    owner.kill('SIGKILL');
    await ownerGone;
    // Its pg_basebackup, in its own process group as createBackup runs it, frozen mid-base-tar.
    const orphanDir = join(s.tempDir, 'vhbk-base-orphan');
    await mkdir(orphanDir);
    const tool = spawn(
      'pg_basebackup',
      ['-d', fx.url, '-D', join(orphanDir, 'base'), '-Ft', '-X', 'stream', '-c', 'fast', '--no-sync'],
      { detached: true, stdio: 'ignore' },
    );
    tool.on('error', () => {});
    const toolExit = new Promise((r) => tool.once('exit', r));
    expect(
      await eventually(() => {
        try {
          return statSync(join(orphanDir, 'base', 'base.tar')).size > 0;
        } catch {
          return false;
        }
      }, 30_000),
    ).toBe(true);
    process.kill(tool.pid!, 'SIGSTOP');
    const record = { owner: ownerId, group: await processIdentity(tool.pid!) };
    await writeFile(join(orphanDir, 'owner.json'), JSON.stringify(record));
    // A dir whose owner runs (this process: a backup in progress) is not touched.
    const liveDir = join(s.tempDir, 'vhbk-base-live');
    await mkdir(liveDir);
    await writeFile(join(liveDir, 'owner.json'), JSON.stringify({ owner: await processIdentity(process.pid) }));

    try {
      const res = await s.mgr.createBackup();
      expect(res.manifest.objects.map((o) => o.path)).toContain('base.tar');
      expect(await eventually(() => tool.exitCode !== null || tool.signalCode !== null, 15_000)).toBe(true);
    } finally {
      // Should the sweep fail, the frozen tool is not left behind for the rest of the run.
      if (tool.exitCode === null && tool.signalCode === null) process.kill(-tool.pid!, 'SIGKILL');
    }
    await toolExit;
    expect(exists(tool.pid!)).toBe(false);
    expect((await readdir(s.tempDir)).sort()).toEqual(['vhbk-base-live']);
    await s.mgr.close();
  });

  it('after all of these, a backup of the same cluster succeeds and stores the base tar once', async () => {
    const s = await setup('ok');
    const res = await s.mgr.createBackup();
    expect(res.manifest.objects.map((o) => o.path)).toEqual(['base.tar', 'pg_wal.tar', 'backup_manifest']);
    expect(s.storage.started.filter((k) => k.includes('base.tar')).length).toBe(1);
    expect(await s.mgr.verifyBackup(res.backupId, { level: 2 })).toMatchObject({ ok: true });
    await s.mgr.close();
  });
});
