import { Readable, Transform } from 'node:stream';
import { createDatabase } from '@voicehive/db-core';
import { type S3Emulator, startS3 } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupStorage, DatabaseBackupManager, S3Storage, StorageType } from '../src/index.js';
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

  it('the emulator stopped mid-upload → backup fails with STORAGE_FAILED, no manifest was ever stored', async () => {
    const doomed = await startS3({ bucket: 'vhbk-stopped' });
    const storage = new S3Storage({
      bucket: doomed.bucket,
      region: doomed.region,
      endpoint: doomed.endpoint,
      forcePathStyle: true,
      credentials: doomed.credentials,
      maxAttempts: 2,
    });
    const stored: string[] = [];
    // Real fault, injected timing: the server goes away once the dump's bytes have started to flow.
    const stopping = new Proxy(storage, {
      get(target, prop, receiver) {
        if (prop !== 'put') return Reflect.get(target, prop, receiver);
        return async (key: string, body: Readable | Uint8Array, options?: object) => {
          if (!(body instanceof Readable)) return target.put(key, body, options);
          let stopped = false;
          const gate = new Transform({
            transform(chunk: Buffer, _e, cb) {
              if (stopped) return cb(null, chunk);
              stopped = true;
              doomed.stop().then(() => cb(null, chunk), cb);
            },
          });
          body.on('error', (err) => gate.destroy(err));
          const res = await target.put(key, body.pipe(gate), options);
          stored.push(key);
          return res;
        };
      },
    }) as BackupStorage;
    await using mgr = new DatabaseBackupManager(fx.db, { storage: stopping, encryptionKey: 's3 stop passphrase' });
    await mgr.initialize();
    await expect(mgr.createBackup()).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(stored).toEqual([]);
    await doomed.stop();
    await storage.close();
  });
});
