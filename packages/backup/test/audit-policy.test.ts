import { AuditLog, createDatabase, createMetrics } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../src/index.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await hotelFixture(1);
});
afterAll(async () => {
  await fx?.done();
});

describe('audit policy in backup', () => {
  it('with the audit table unwritable, a backup that was written is reported as created and verifies; the failed audit writes are counted', async () => {
    const metrics = createMetrics();
    // In another database, so the hotel database keeps exactly its workload tables.
    await using auditDb = createDatabase(fx.server.url, { poolMax: 1 });
    const audit = new AuditLog({ database: auditDb, table: 'audit_locked_backup', metrics });
    await audit.ensureTable();
    await auditDb.query('ALTER TABLE dbrs.audit_locked_backup ADD CONSTRAINT no_writes CHECK (false) NOT VALID');
    await using mgr = new DatabaseBackupManager(fx.db, {
      storage: fx.storage,
      encryptionKey: 'audit policy passphrase',
      metrics,
      audit,
    });
    await mgr.initialize();
    const res = await mgr.createBackup();
    expect(res.storedBytes).toBeGreaterThan(0);
    expect((await mgr.listBackups({ database: fx.dbName })).map((b) => b.backupId)).toContain(res.backupId);
    const verified = await mgr.verifyBackup(res.backupId);
    expect(verified.ok).toBe(true);
    const text = await metrics.text();
    expect(text).toMatch(/voicehive_audit_write_failures_total\{action="backup.create"\} 1/);
    expect(text).toMatch(/voicehive_audit_write_failures_total\{action="backup.verify"\} 1/);
  });
});
