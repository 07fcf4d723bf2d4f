import { createDatabase } from '@voicehive/db-core';
import { type S3Emulator, startS3 } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager, S3Storage, StorageType } from '../src/index.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
let s3: S3Emulator;
beforeAll(async () => {
  [fx, s3] = await Promise.all([hotelFixture(1), startS3({ bucket: 'vhbk-e2e' })]);
});
afterAll(async () => {
  await s3?.stop();
  await fx?.done();
});

describe('end to end through S3 (s3rver)', () => {
  it('backup → list → verify with a restore test → restore', async () => {
    const storage = new S3Storage({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3.credentials,
      prefix: 'backups/prod',
    });
    await using mgr = new DatabaseBackupManager(fx.db, {
      storage,
      storageType: StorageType.S3,
      encryptionKey: 's3 end to end passphrase',
    });
    const res = await mgr.createBackup();
    expect(res.storedBytes).toBeGreaterThan(0);
    expect((await mgr.listBackups()).map((b) => b.backupId)).toEqual([res.backupId]);
    const v = await mgr.verifyBackup(res.backupId, { level: 3 });
    expect(v).toMatchObject({ ok: true, amcheck: 'passed' });
    await mgr.restoreBackup(res.backupId, { targetDatabase: `${fx.dbName}_s3` });
    const restored = createDatabase(fx.url.replace(/\/[^/?]+(\?|$)/, `/${fx.dbName}_s3$1`), { poolMax: 1 });
    const n = await restored.query<{ n: string }>('SELECT count(*) AS n FROM public.bookings');
    await restored.close();
    expect(Number(n.rows[0]!.n)).toBe(fx.rows['bookings']);
    await fx.db.query(`DROP DATABASE "${fx.dbName}_s3" WITH (FORCE)`);
    await storage.close();
  });
});
