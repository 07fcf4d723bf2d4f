// Fault suite (issue #11): PostgreSQL restarted (pg_ctl -m fast stop, then start)
// mid-backup and mid-restore. The promise: the operation fails with the
// tool's error within a bound, its tools are reaped, nothing half-done is listed
// or left in storage, the database a restore created is dropped once the server
// is back, no session of ours survives, and the next backup works.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../../src/index.js';
import { LocalStorage } from '../../src/storage/local.js';
import { databaseExists, type FaultFixture, faultFixture } from './fixture.js';
import { backupSessions, eventually, stillThere, watchChildren } from './leaks.js';

const MiB = 1 << 20;
let fx: FaultFixture;
beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 300_000 });
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('PostgreSQL restarted', { timeout: 600_000 }, () => {
  it('mid-backup: the backup fails, pg_dump and zstd reaped, nothing listed or stored; the next backup works', async () => {
    const store = join(fx.dir, 'restart-backup');
    await using mgr = new DatabaseBackupManager(fx.url, { storage: new LocalStorage({ path: store }) });
    await mgr.initialize();
    const watch = watchChildren(['pg_dump', 'zstd']);
    let restarted: Promise<void> | undefined;
    const err = await mgr
      .createBackup(undefined, {
        signal: AbortSignal.timeout(300_000),
        onProgress: (e) => {
          if (e.phase === 'dump' && e.bytes > 2 * MiB) restarted ??= fx.restart();
        },
      })
      .catch((e) => e);
    const pids = watch.stop();
    expect(restarted, 'PostgreSQL was restarted mid-backup').toBeDefined();
    await restarted;
    expect(err).toBeInstanceOf(Error);
    expect(err.code, err.message).not.toBe('ABORTED');
    expect(['TOOL_FAILED', 'BACKUP_FAILED', 'CONNECTION_FAILED', 'QUERY_FAILED']).toContain(err.code);
    expect([...pids.values()]).toContain('pg_dump');
    expect(stillThere(pids)).toEqual([]);
    expect(await mgr.listBackups()).toEqual([]);
    expect(await filesUnder(store)).toEqual([]);
    // The server is back: the same manager backs up again (its pool replaced the dead connections).
    const ok = await mgr.createBackup();
    expect(ok.storedBytes).toBeGreaterThan(0);
    await mgr.close();
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
  });

  it('mid-restore: the restore fails, pg_restore reaped, the target it created is dropped once the server is back', async () => {
    const store = join(fx.dir, 'restart-restore');
    await using mgr = new DatabaseBackupManager(fx.url, { storage: new LocalStorage({ path: store }) });
    const { backupId } = await mgr.createBackup();
    const target = `${fx.dbName}_restart`;
    const watch = watchChildren(['pg_restore']);
    let restarted: Promise<void> | undefined;
    const err = await mgr
      .restoreBackup(backupId, {
        targetDatabase: target,
        signal: AbortSignal.timeout(300_000),
        // pg_restore exists only after the proof and the CREATE DATABASE: the restart hits the restore proper.
        onSpawn: ({ tool }) => {
          if (tool === 'pg_restore') restarted ??= new Promise((r) => setTimeout(r, 500)).then(() => fx.restart());
        },
      })
      .catch((e) => e);
    const pids = watch.stop();
    expect(restarted, 'PostgreSQL was restarted mid-restore').toBeDefined();
    await restarted;
    expect(err).toBeInstanceOf(Error);
    expect(err.code, err.message).not.toBe('ABORTED');
    expect([...pids.values()]).toContain('pg_restore');
    expect(stillThere(pids)).toEqual([]);
    expect(await eventually(async () => !(await databaseExists(fx.observer, target).catch(() => true)), 60_000)).toBe(
      true,
    );
    expect((await mgr.listBackups()).map((b) => b.backupId)).toEqual([backupId]);
    await mgr.close();
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
  });
});
