import { chmod, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDatabase } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, DatabaseBackupManager } from '../src/index.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await hotelFixture(1);
});
afterAll(async () => {
  await fx?.done();
});

describe('physical backups (pg_basebackup -Ft -X stream)', () => {
  it('backs up the cluster, keeps backup_manifest, passes pg_verifybackup, lays out a data directory', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, {
      storage: fx.storage,
      backupType: BackupType.PHYSICAL,
      encryptionKey: 'physical backup passphrase',
    });
    const res = await mgr.createBackup();
    const m = res.manifest;
    expect(m.type).toBe('physical');
    expect(m.tool.version).toMatch(/pg_basebackup/);
    expect(m.objects.map((o) => o.path).sort()).toEqual(['backup_manifest', 'base.tar', 'pg_wal.tar']);
    expect(m.objects.at(-1)!.path).toBe('backup_manifest');
    expect(m.wal?.startLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(m.wal?.endLsn).toBeTruthy();
    expect(m.server.systemIdentifier).toMatch(/^\d+$/);

    expect(await mgr.verifyBackup(res.backupId, { level: 2 })).toMatchObject({ ok: true, level: 2 });

    const target = join(fx.dir, 'restored-pgdata');
    await mgr.restoreBackup(res.backupId, { targetDirectory: target });
    const entries = await readdir(target);
    expect(entries).toEqual(
      expect.arrayContaining(['PG_VERSION', 'base', 'global', 'pg_wal', 'backup_label', 'backup_manifest']),
    );
    expect((await readFile(join(target, 'PG_VERSION'), 'utf8')).trim()).toBe(String(fx.server.version.major));
    expect((await readdir(join(target, 'pg_wal'))).some((f) => /^[0-9A-F]{24}$/.test(f))).toBe(true);
    await expect(mgr.restoreBackup(res.backupId, { targetDirectory: target })).rejects.toMatchObject({
      code: 'TARGET_NOT_EMPTY',
    });
  });

  it('level 3 starts a server on the restored copy: recovery, amcheck, exact row counts; temp dir removed', async () => {
    // No autovacuum/autoanalyze may assign a transaction id between the count and the backup's end.
    await fx.db.query('VACUUM ANALYZE');
    const admin = createDatabase(fx.server.superuserUrl, { poolMax: 1 });
    await admin.query('ALTER SYSTEM SET autovacuum = off');
    await admin.query('SELECT pg_reload_conf()');
    await admin.close();
    const tempDir = await mkdtemp(join(fx.dir, 'pv-'));
    await using mgr = new DatabaseBackupManager(fx.db, {
      storage: fx.storage,
      backupType: BackupType.PHYSICAL,
      encryptionKey: 'physical backup passphrase',
      tempDir,
    });
    const res = await mgr.createBackup();
    const expected = Object.fromEntries(Object.entries(fx.rows).map(([t, n]) => [`public.${t}`, n]));
    expect(res.manifest.rowCounts).toEqual(expected);
    expect(res.manifest.rowCountsNextXid).toMatch(/^\d+$/);
    expect(res.manifest.server.superuser).toBe('postgres');

    if (process.getuid?.() === 0) {
      // mkdtemp dirs are 0700: the postgres OS user the scratch server runs as cannot enter them; said clearly.
      const refused = await mgr.verifyBackup(res.backupId, { level: 3 });
      expect(refused).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
      expect(refused.error!.message).toContain('cannot enter');
      await chmod(fx.dir, 0o711);
      await chmod(tempDir, 0o711);
    }

    const ok = await mgr.verifyBackup(res.backupId, { level: 3 });
    expect(ok.error).toBeUndefined();
    expect(ok).toMatchObject({ ok: true, level: 3, amcheck: 'passed', rowCountsExact: true, rowCountMismatches: [] });
    expect(ok.tablesCompared).toBe(Object.keys(fx.rows).length);
    expect(ok.databasesChecked).toBeGreaterThanOrEqual(2);
    expect(ok.restoreDurationMs).toBeGreaterThan(0);
    expect(await readdir(tempDir)).toEqual([]);
    const [listed] = await mgr.listBackups({ database: fx.dbName, type: BackupType.PHYSICAL, limit: 1 });
    expect(listed!.manifest.verification).toMatchObject({ level: 3, ok: true, rowCountsExact: true });

    // A manifest whose counts disagree with the data is caught (exact comparison: nothing was written).
    const table = 'public.bookings';
    await mgr.storage.put(
      `${fx.dbName}/${res.backupId}/manifest.json`,
      Readable.from([
        Buffer.from(JSON.stringify({ ...listed!.manifest, rowCounts: { ...expected, [table]: expected[table]! + 1 } })),
      ]),
    );
    const bad = await mgr.verifyBackup(res.backupId, { level: 3 });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatchObject({ code: 'VERIFY_FAILED' });
    expect(bad.error!.message).toContain(`${table}: expected ${expected[table]! + 1}, restored ${expected[table]}`);
    expect(await readdir(tempDir)).toEqual([]);

    // Aborted once the scratch server has been launched: it is stopped and the copy deleted all the same.
    const ac = new AbortController();
    const watch = setInterval(async () => {
      for (const d of await readdir(tempDir).catch(() => [] as string[])) {
        if ((await readdir(join(tempDir, d)).catch(() => [] as string[])).includes('server.log')) ac.abort();
      }
    }, 5);
    try {
      await expect(mgr.verifyBackup(res.backupId, { level: 3, signal: ac.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      });
    } finally {
      clearInterval(watch);
    }
    expect(ac.signal.aborted).toBe(true);
    expect(await readdir(tempDir)).toEqual([]);
    expect(await processesMentioning(tempDir)).toEqual([]);
  });
});

/** Pids whose command line mentions `text` (a scratch server left running would). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}
