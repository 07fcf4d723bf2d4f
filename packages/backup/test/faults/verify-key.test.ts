// Issue #11 item 2: `verify --level 2` with a wrong or missing key printed the
// right result and never exited (pg_restore --list kept waiting on its stdin),
// and it recorded verification.ok=false into the manifest of a good backup.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../../src/index.js';
import { LocalStorage } from '../../src/storage/local.js';
import { type FaultFixture, faultFixture } from './fixture.js';
import { backupSessions, descendants, eventually, stillThere, watchChildren } from './leaks.js';

const PASS = 'verify-key-test-passphrase-0123456789';
let fx: FaultFixture;
let backupId: string;
let storage: LocalStorage;

beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 20_000 });
  storage = new LocalStorage({ path: join(fx.dir, 'store') });
  await using mgr = new DatabaseBackupManager(fx.url, { storage, encryptionKey: PASS });
  ({ backupId } = await mgr.createBackup());
  // A good verification on record: a failed key must not overwrite it.
  expect((await mgr.verifyBackup(backupId, { level: 2 })).ok).toBe(true);
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

async function recorded() {
  await using mgr = new DatabaseBackupManager(fx.url, { storage, encryptionKey: PASS });
  return (await mgr.listBackups()).find((b) => b.backupId === backupId)?.manifest.verification;
}

describe('verify --level 2 with a key that does not open the backup', { timeout: 600_000 }, () => {
  it.each([
    ['a wrong key', { encryptionKey: 'not-the-right-passphrase-at-all' }],
    ['no key', {}],
  ])('%s: DECRYPTION_FAILED, inconclusive, pg_restore killed and reaped, the good record kept', async (_, keys) => {
    const before = await recorded();
    expect(before).toMatchObject({ ok: true, level: 2 });
    const watch = watchChildren(['pg_restore']);
    await using mgr = new DatabaseBackupManager(fx.url, { storage, ...keys });
    const result = await mgr.verifyBackup(backupId, { level: 2 });
    const pids = watch.stop();
    expect(result).toMatchObject({ ok: false, inconclusive: true, error: { code: 'DECRYPTION_FAILED' } });
    // Checked at once, not eventually: verifyBackup must not return before its child is gone.
    expect(stillThere(pids)).toEqual([]);
    expect(descendants().filter((p) => p.comm === 'pg_restore')).toEqual([]);
    expect(await recorded()).toEqual(before);
    await mgr.close();
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
  });

  it('a backup that really is bad is still recorded as failed', async () => {
    // Level 1 passes (bytes unchanged) but the manifest points at an object pg_restore cannot read.
    await using mgr = new DatabaseBackupManager(fx.url, { storage, encryptionKey: PASS });
    const other = await mgr.createBackup(undefined, { tables: ['noise'] });
    const manifestKey = `${encodeURIComponent(fx.dbName)}/${other.backupId}/manifest.json`;
    const manifest = { ...other.manifest, objects: other.manifest.objects.map((o) => ({ ...o, role: 'custom-dump' })) };
    manifest.format = 'custom';
    // Swap compression so the dump decompresses to garbage: the backup (as described) is unreadable.
    manifest.compression = manifest.compression === 'zstd' ? 'gzip' : 'zstd';
    await storage.put(manifestKey, Buffer.from(JSON.stringify(manifest)));
    const watch = watchChildren(['pg_restore']);
    const result = await mgr.verifyBackup(other.backupId, { level: 2 });
    expect(stillThere(watch.stop())).toEqual([]);
    expect(result.ok).toBe(false);
    expect(result.inconclusive).toBeUndefined();
    const listed = (await mgr.listBackups()).find((b) => b.backupId === other.backupId);
    expect(listed?.manifest.verification).toMatchObject({ ok: false, level: 2 });
  });
});
