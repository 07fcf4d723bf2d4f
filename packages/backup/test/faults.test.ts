import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { requireComponent } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../src/index.js';
import { LocalStorage } from '../src/storage/local.js';
import type { BackupStorage } from '../src/storage/types.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await hotelFixture(1);
});
afterAll(async () => {
  await fx?.done();
});

/** Every file under the storage root (sidecars and temp files included): "nothing left behind" means none. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out;
}

/** Fault injection a real store cannot be asked for: the upload breaks after `limit` bytes. */
function failingAfter(inner: BackupStorage, limit: number): BackupStorage {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'put') return Reflect.get(target, prop, receiver);
      return (key: string, body: Readable | Uint8Array, options?: object) => {
        if (!(body instanceof Readable)) return target.put(key, body, options);
        let seen = 0;
        const breaker = new Transform({
          transform(chunk: Buffer, _e, cb) {
            seen += chunk.length;
            if (seen > limit) cb(Object.assign(new Error('connection reset by storage'), { code: 'ECONNRESET' }));
            else cb(null, chunk);
          },
        });
        body.on('error', (err) => breaker.destroy(err));
        return target.put(key, body.pipe(breaker), options);
      };
    },
  });
}

describe('faults (real tools)', () => {
  it('pg_dump missing → TOOL_MISSING naming where it looked', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vhbk-nobin-'));
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, binDir: empty });
    await expect(mgr.createBackup()).rejects.toMatchObject({
      code: 'TOOL_MISSING',
      message: expect.stringContaining(join(empty, 'pg_dump')),
    });
    expect(await mgr.listBackups()).toEqual([]);
    await rm(empty, { recursive: true });
  });

  it('pg_dump older than the server → TOOL_VERSION_MISMATCH naming both versions', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'vhbk-oldbin-'));
    await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
    await chmod(join(bin, 'pg_dump'), 0o755);
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, binDir: bin });
    const err = await mgr.createBackup().catch((e) => e);
    expect(err.code).toBe('TOOL_VERSION_MISMATCH');
    expect(err.message).toContain('9.6');
    expect(err.message).toContain(`PostgreSQL ${fx.server.version.major}`);
    await rm(bin, { recursive: true });
  });

  it('unknown database → NOT_FOUND, nothing stored', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage });
    await expect(mgr.createBackup('no_such_database_xyz')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no_such_database_xyz'),
    });
  });

  it('storage failing mid-upload → backup failed, no manifest, partial objects removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vhbk-failstore-'));
    const storage = failingAfter(new LocalStorage({ path: dir }), 200_000);
    await using mgr = new DatabaseBackupManager(fx.db, { storage, compression: 'none' });
    // globals is stored first and succeeds; the dump then breaks: the globals object must go too.
    const err = await mgr.createBackup(undefined, { globals: true }).catch((e) => e);
    expect(err.code).toBe('STORAGE_FAILED');
    expect(await mgr.listBackups()).toEqual([]);
    expect(await filesUnder(dir)).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('pg_dump killed mid-run → failure from its exit status, nothing listed or left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vhbk-kill-'));
    await using mgr = new DatabaseBackupManager(fx.db, { storage: new LocalStorage({ path: dir }) });
    const err = await mgr
      .createBackup(undefined, {
        onSpawn: ({ tool, pid }) => {
          if (tool === 'pg_dump') process.kill(pid, 'SIGKILL');
        },
      })
      .catch((e) => e);
    expect(err.code).toBe('TOOL_FAILED');
    expect(err.message).toMatch(/pg_dump was killed by SIGKILL/);
    expect(await mgr.listBackups()).toEqual([]);
    expect(await filesUnder(dir)).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('AbortSignal aborts a running backup; nothing listed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vhbk-abort-'));
    await using mgr = new DatabaseBackupManager(fx.db, { storage: new LocalStorage({ path: dir }) });
    const ctl = new AbortController();
    const err = await mgr.createBackup(undefined, { signal: ctl.signal, onSpawn: () => ctl.abort() }).catch((e) => e);
    expect(err.code).toBe('ABORTED');
    expect(await mgr.listBackups()).toEqual([]);
    expect(await filesUnder(dir)).toEqual([]);
    await rm(dir, { recursive: true });
  });

  const canMount = requireComponent('tmpfs', process.getuid?.() === 0, 'mounting a 1 MiB tmpfs needs root');
  it.skipIf(!canMount)('local disk full → failure, nothing listed (1 MiB tmpfs; needs root to mount)', async () => {
    const mnt = await mkdtemp(join(tmpdir(), 'vhbk-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    try {
      await mkdir(join(mnt, 'store'));
      await using mgr = new DatabaseBackupManager(fx.db, {
        storage: new LocalStorage({ path: join(mnt, 'store') }),
        compression: 'none',
      });
      // Bounded, so a hang fails the test (ABORTED) and the finally still unmounts.
      const err = await mgr.createBackup(undefined, { signal: AbortSignal.timeout(30_000) }).catch((e) => e);
      expect(err.code).toMatch(/STORAGE_FAILED/);
      expect(err.message).toMatch(/ENOSPC|space/i);
      expect(await mgr.listBackups()).toEqual([]);
      expect(await filesUnder(join(mnt, 'store'))).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
      await rm(mnt, { recursive: true });
    }
  });

  it('bad input: unknown backup id, malformed id, no restore target', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage });
    await expect(mgr.verifyBackup('20260101T000000000Z-abcdef')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(mgr.verifyBackup('../../etc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(mgr.restoreBackup('20260101T000000000Z-abcdef', {})).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('the password reaches pg_dump through PGPASSWORD, never argv', async () => {
    const role = fx.server.passwordRole;
    expect(role, 'the harness provides a password role').toBeTruthy();
    await fx.db.query(`GRANT pg_read_all_data TO "${role!.user}"`);
    const url = fx.url.replace(/\/\/[^@/]+@/, `//${role!.user}:${encodeURIComponent(role!.password)}@`);
    const dir = await mkdtemp(join(tmpdir(), 'vhbk-pw-'));
    let argv = '';
    await using mgr = new DatabaseBackupManager(url, { storage: new LocalStorage({ path: dir }), rowCounts: true });
    const res = await mgr.createBackup(undefined, {
      onSpawn: ({ pid }) => {
        try {
          argv = execFileSync('cat', [`/proc/${pid}/cmdline`]).toString();
        } catch {
          // exited already
        }
      },
    });
    expect(res.storedBytes).toBeGreaterThan(0);
    expect(argv).toContain('pg_dump');
    expect(argv).not.toContain(role!.password);
    // A bare pg.Pool built from a connectionString: the password must still reach the tools.
    const Pool = fx.db.pool.constructor as new (o: object) => typeof fx.db.pool;
    const pool = new Pool({ connectionString: url, max: 2 });
    await using viaPool = new DatabaseBackupManager(pool, { storage: new LocalStorage({ path: dir }) });
    expect((await viaPool.createBackup()).storedBytes).toBeGreaterThan(0);
    await pool.end();
    await rm(dir, { recursive: true });
  });
});
