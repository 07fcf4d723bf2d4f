import { Writable } from 'node:stream';
import { createTestDatabase, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, createDatabase, createLogger, createMetrics, type Database } from '../src/index.js';

let server: PostgresServer;
let db: Database;
beforeAll(async () => {
  server = await startPostgres();
  db = createDatabase((await createTestDatabase(server)).url);
});
afterAll(async () => {
  await db?.close();
  await server?.stop();
});

describe('AuditLog', () => {
  it('appends scrubbed entries to the logger and the table, and refuses to rewrite history', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const audit = new AuditLog({ database: db, logger: createLogger({ destination }) });
    await audit.record({
      actor: 'scheduler',
      action: 'backup.create',
      target: 'hotels',
      outcome: 'success',
      details: { storage: 's3://bucket/x', encryptionKey: 'my-passphrase', url: 'postgres://u:pw-123@h/db' },
    });
    await audit.record({ actor: 'cli', action: 'backup.delete', target: 'b-1', outcome: 'failure' });
    const entries = await audit.list();
    expect(entries.map((e) => e.action)).toEqual(['backup.delete', 'backup.create']);
    expect(entries[1]!.details).toMatchObject({ storage: 's3://bucket/x', encryptionKey: '[REDACTED]' });
    const all = JSON.stringify(entries) + lines.join('');
    expect(all).not.toContain('my-passphrase');
    expect(all).not.toContain('pw-123');
    expect(lines.some((l) => l.includes('"event":"audit"'))).toBe(true);
    await expect(db.query('UPDATE dbrs.dbrs_audit_log SET outcome = $1', ['success'])).rejects.toThrowError(
      /append-only/,
    );
    await expect(db.query('DELETE FROM dbrs.dbrs_audit_log')).rejects.toThrowError(/append-only/);
    expect((await audit.list({ action: 'backup.create' })).length).toBe(1);
  });

  it('refuses an entry without actor, action or target', async () => {
    const audit = new AuditLog();
    await expect(audit.record({ actor: '', action: 'x', target: 'y', outcome: 'success' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('audit policy: a failed audit write never changes the outcome', () => {
  it('with the audit table unwritable, record() resolves (stored: false), logs audit_write_failed and counts it', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    const metrics = createMetrics();
    const audit = new AuditLog({
      database: db,
      table: 'audit_unwritable',
      logger: createLogger({ destination }),
      metrics,
    });
    await audit.ensureTable();
    // A CHECK that no row passes, NOT VALID so it applies to new rows only: every INSERT now fails on the server.
    await db.query('ALTER TABLE dbrs.audit_unwritable ADD CONSTRAINT no_writes CHECK (false) NOT VALID');
    const rec = await audit.record({ actor: 'cli', action: 'backup.create', target: 'hotels', outcome: 'success' });
    expect(rec).toMatchObject({ action: 'backup.create', outcome: 'success', stored: false });
    expect(lines.some((l) => l.includes('"event":"audit_write_failed"') && l.includes('no_writes'))).toBe(true);
    expect(await metrics.text()).toMatch(/voicehive_audit_write_failures_total\{action="backup.create"\} 1/);
    expect(await audit.list()).toEqual([]);
    await db.query('ALTER TABLE dbrs.audit_unwritable DROP CONSTRAINT no_writes');
    expect(
      await audit.record({ actor: 'cli', action: 'backup.create', target: 'hotels', outcome: 'success' }),
    ).toMatchObject({ stored: true });
  });
});
