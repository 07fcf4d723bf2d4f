import {
  createAuditLog,
  createDatabase,
  createMetrics,
  type Database,
  LeaderLock,
  silentLogger,
} from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCycle } from '../src/maintenance/cycle.js';
import { MaintenanceState } from '../src/maintenance/state.js';

let testDb: TestDatabase;
let db: Database;
beforeAll(async () => {
  testDb = await createTestDatabase(await getSharedPostgres());
  db = createDatabase(testDb.url);
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe('maintenance cycle under the audit policy', () => {
  it('with the audit table unwritable, a task that worked counts once as completed and a failing task once as failed', async () => {
    const metrics = createMetrics();
    const audit = createAuditLog({ database: db, table: 'audit_locked', metrics });
    await audit.ensureTable();
    await db.query('ALTER TABLE dbrs.audit_locked ADD CONSTRAINT no_writes CHECK (false) NOT VALID');
    await using lock = new LeaderLock(db, { name: 'maintenance-audit-policy' });
    let ran = 0;
    const result = await runCycle({
      tasks: [
        {
          name: 'works',
          minIntervalMs: 0,
          run: async () => {
            await db.query('CREATE TABLE maintained (id int)');
            ran++;
            return { created: 'maintained' };
          },
        },
        { name: 'breaks', minIntervalMs: 0, run: () => Promise.reject(new Error('disk on fire')) },
      ],
      lock,
      state: new MaintenanceState(db),
      audit,
      logger: silentLogger(),
      actor: 'test',
      signal: new AbortController().signal,
      force: true,
    });
    expect(ran).toBe(1);
    expect(result.tasks.map((t) => `${t.task}:${t.outcome}`)).toEqual(['works:completed', 'breaks:failed']);
    expect(result.tasksCompleted).toBe(1);
    expect(result.tasksFailed).toBe(1);
    expect(result.tasks[1]!.error).toBe('disk on fire');
    const text = await metrics.text();
    expect(text).toMatch(/voicehive_audit_write_failures_total\{action="maintenance.works"\} 1/);
    expect(text).toMatch(/voicehive_audit_write_failures_total\{action="maintenance.breaks"\} 1/);
    // The completion was still stored, so no replica repeats the task within its interval.
    const last = await new MaintenanceState(db).lastCompleted();
    expect(last.has('works')).toBe(true);
    expect(last.has('breaks')).toBe(false);
  });
});
