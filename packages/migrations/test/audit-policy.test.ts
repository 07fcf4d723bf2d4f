import { createAuditLog, createMetrics } from '@voicehive/db-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture, sqlMigration, tableExists } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('audit policy in migrations', () => {
  it('with the audit table unwritable, a committed migration is still reported as applied; the failed audit write is counted', async () => {
    fx = await fixture({ '001_a.sql': sqlMigration('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const metrics = createMetrics();
    const audit = createAuditLog({ database: fx.db, table: 'audit_locked', metrics });
    await audit.ensureTable();
    // Every INSERT into the audit table now fails on the server (NOT VALID: existing rows are not checked).
    await fx.db.query('ALTER TABLE dbrs.audit_locked ADD CONSTRAINT no_writes CHECK (false) NOT VALID');
    const m = fx.manager({ audit, metrics });
    const result = await m.runMigration();
    expect(result.success, result.errorMessage).toBe(true);
    expect(result.applied).toEqual(['001_a']);
    expect(await tableExists(fx.db, 'a')).toBe(true);
    expect((await m.status()).pending).toEqual([]);
    expect(await metrics.text()).toMatch(/voicehive_audit_write_failures_total\{action="migration.apply"\} 1/);
  });
});
