import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
});
