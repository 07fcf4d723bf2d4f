// Issue #11 item 3: `dbrs backup create` onto a full disk printed STORAGE_FAILED
// and then hung: only pg_dump was killed, zstd kept blocking on a pipe nobody read.
// Also the restore scratch area (tempDir) filling up during a parallel restore.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireComponent } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../../src/index.js';
import { LocalStorage } from '../../src/storage/local.js';
import { hasZstd } from '../helpers/processes.js';
import { databaseExists, type FaultFixture, faultFixture } from './fixture.js';
import { backupSessions, eventually, stillThere, watchChildren } from './leaks.js';

const isRoot = process.getuid?.() === 0;
const canRun =
  requireComponent('tmpfs', isRoot, 'mounting a tmpfs needs root') &&
  requireComponent('zstd', hasZstd, 'apt-get install zstd');

let fx: FaultFixture;
beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 150_000 });
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

/** A real 2 MiB tmpfs, unmounted whatever happens. */
async function withTmpfs<T>(fn: (mnt: string) => Promise<T>): Promise<T> {
  const mnt = await mkdtemp(join(tmpdir(), 'vhbk-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  try {
    return await fn(mnt);
  } finally {
    execFileSync('umount', ['-l', mnt]);
    await rm(mnt, { recursive: true, force: true });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe.skipIf(!canRun)('disk full (real 2 MiB tmpfs)', { timeout: 600_000 }, () => {
  it.each([
    ['zstd program (pg_dump → zstd → node)', { compression: 'zstd' as const }],
    ['node compression, encrypted', { compression: 'gzip' as const, encryptionKey: 'disk-full-passphrase-0123' }],
  ])('backup storage fills up, %s: STORAGE_FAILED, every child reaped, nothing listed or left', async (_, extra) => {
    await withTmpfs(async (mnt) => {
      await mkdir(join(mnt, 'store'));
      await using mgr = new DatabaseBackupManager(fx.url, {
        storage: new LocalStorage({ path: join(mnt, 'store') }),
        ...extra,
      });
      const watch = watchChildren(['pg_dump', 'zstd']);
      // The bound only turns a hang into a failure; a correct run ends long before.
      const err = await mgr.createBackup(undefined, { signal: AbortSignal.timeout(120_000) }).catch((e) => e);
      const pids = watch.stop();
      expect(err.code, err.message).toBe('STORAGE_FAILED');
      expect(err.message).toMatch(/ENOSPC|space/i);
      expect([...pids.values()]).toContain('pg_dump');
      if (extra.compression === 'zstd') expect([...pids.values()]).toContain('zstd');
      // At once: createBackup must not settle while a child of its pipeline lives.
      expect(stillThere(pids)).toEqual([]);
      expect(await mgr.listBackups()).toEqual([]);
      expect(await filesUnder(join(mnt, 'store'))).toEqual([]);
      await mgr.close();
      expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
    });
  });

  it('restore scratch area fills up (parallel restore downloads first): target dropped, pg_restore never started', async () => {
    const storage = new LocalStorage({ path: join(fx.dir, 'store-scratch') });
    await using mgr = new DatabaseBackupManager(fx.url, { storage });
    const { backupId } = await mgr.createBackup();
    await withTmpfs(async (mnt) => {
      await using restorer = new DatabaseBackupManager(fx.url, { storage, tempDir: mnt });
      const target = `${fx.dbName}_scratch`;
      const watch = watchChildren(['pg_restore']);
      const err = await restorer.restoreBackup(backupId, { targetDatabase: target, jobs: 2 }).catch((e) => e);
      const pids = watch.stop();
      expect(err).toBeInstanceOf(Error);
      expect(String(err.message)).toMatch(/ENOSPC|space/i);
      expect(stillThere(pids)).toEqual([]);
      expect(await databaseExists(fx.observer, target)).toBe(false);
      expect(await filesUnder(mnt)).toEqual([]);
      await restorer.close();
    });
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
  });
});
