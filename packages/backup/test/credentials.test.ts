import { type AzuriteEmulator, startAzurite } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager, StorageType } from '../src/index.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
let azure: AzuriteEmulator;
beforeAll(async () => {
  [fx, azure] = await Promise.all([hotelFixture(1), startAzurite({ container: 'vhbk-creds' })]);
});
afterAll(async () => {
  await azure?.stop();
  await fx?.done();
});

describe('storage credentials', () => {
  it('wrong storage credentials fail initialize() with STORAGE_AUTH_FAILED, and no secret in the message (azurite checks shared keys)', async () => {
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    await using mgr = new DatabaseBackupManager(fx.db, {
      storageType: StorageType.AZURE,
      azureContainer: azure.container,
      azureConnectionString: azure.connectionString.replace(azure.accountKey, wrongKey),
    });
    const err = await mgr.initialize().catch((e) => e);
    expect(err.code).toBe('STORAGE_AUTH_FAILED');
    expect(err.message).not.toContain(wrongKey);

    await using ok = new DatabaseBackupManager(fx.db, {
      storageType: StorageType.AZURE,
      azureContainer: azure.container,
      azureConnectionString: azure.connectionString,
      encryptionKey: 'azure backup passphrase',
    });
    const { backupId } = await ok.createBackup();
    expect(await ok.verifyBackup(backupId, { level: 2 })).toMatchObject({ ok: true });
  });
});
