// Issue #14 §3: a migration waiting on a lock says what it waits for and who blocks it, and a lock
// timeout names the blocker and the relation. Real PostgreSQL, a real idle-in-transaction blocker.
import { createLogger } from '@voicehive/db-core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { describeLockWait, type LockWaitSample } from '../src/index.js';
import { normalizeQuery } from '../src/runner/lock-watch.js';
import { type Fixture, fixture, sqlMigration } from './helpers.js';

let fx: Fixture | undefined;
let blocker: pg.Client | undefined;
afterEach(async () => {
  await blocker?.end().catch(() => {});
  blocker = undefined;
  await fx?.cleanup();
  fx = undefined;
});

describe('lock watch', () => {
  it('reports the wait while it lasts and names blocker and relation in the lock-timeout error', async () => {
    fx = await fixture({ '001_t.sql': sqlMigration('CREATE TABLE busy (id int);', 'DROP TABLE busy;') });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.db.query('INSERT INTO busy SELECT g FROM generate_series(1, 10) g');
    await fx.write({
      '002_alter.sql': sqlMigration('ALTER TABLE busy ADD COLUMN note text;', 'ALTER TABLE busy DROP COLUMN note;'),
    });
    blocker = new pg.Client({ connectionString: fx.url, application_name: 'dbrs-test-blocker' });
    blocker.on('error', () => {});
    await blocker.connect();
    const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // The incident of the issue: an idle-in-transaction session holding a row lock.
    await blocker.query("BEGIN; SELECT * FROM busy WHERE id = 7 AND 'secret-value' <> '' FOR UPDATE");

    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const seen: LockWaitSample[] = [];
    const run = await fx
      .manager({ lockTimeoutMs: 2500, maxLockRetries: 0, logger })
      .runMigration({ onLockWait: (w) => seen.push(w) });

    expect(run.success).toBe(false);
    expect(run.error?.details['sqlstate']).toBe('55P03');
    const waits = lines.filter((l) => l['event'] === 'migration_lock_wait');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toMatchObject({
      migration: '002_alter',
      lockType: 'relation',
      relation: 'busy',
      mode: 'AccessExclusiveLock',
      blocker: { pid: blockerPid, applicationName: 'dbrs-test-blocker', state: 'idle in transaction' },
    });
    // The blocker's query is shown normalised: its literals never reach a log line.
    const query = (waits[0]!['blocker'] as { query: string }).query;
    expect(query).toContain('FOR UPDATE');
    expect(query).not.toContain('secret-value');
    expect(run.errorMessage).toContain(`pid ${blockerPid}`);
    expect(run.errorMessage).toContain('dbrs-test-blocker');
    expect(run.errorMessage).toContain('idle in transaction');
    expect(run.errorMessage).toContain('AccessExclusiveLock on busy');
    // Lock-first: the timeout happened on the up-front LOCK, before any statement ran, and the error says so.
    expect(run.errorMessage).toContain(
      'failed while taking its table locks before its first statement (LOCK TABLE public.busy IN ACCESS EXCLUSIVE MODE)',
    );
    expect(run.report.migrations.at(-1)?.statements).toEqual([]);
    // The same samples reach the caller (the CLI prints them with describeLockWait).
    expect(seen.length).toBe(waits.length);
    expect(describeLockWait(seen[0]!)).toMatch(
      new RegExp(`waits \\d+ s for AccessExclusiveLock on busy, blocked by pid ${blockerPid}`),
    );
    expect(run.error?.details['lockWait']).toMatchObject({ relation: 'busy', blocker: { pid: blockerPid } });
  }, 60_000);

  it('reports a CREATE INDEX CONCURRENTLY waiting for old snapshots, with its build phase, until the snapshot ends', async () => {
    fx = await fixture({ '001_t.sql': sqlMigration('CREATE TABLE rooms (id int, code text);', 'DROP TABLE rooms;') });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.db.query("INSERT INTO rooms SELECT g, 'r' || g FROM generate_series(1, 1000) g");
    await fx.write({
      '002_cic.sql': sqlMigration(
        'CREATE INDEX CONCURRENTLY rooms_code ON rooms (code);',
        'DROP INDEX CONCURRENTLY rooms_code;',
        '-- dbrs:no-transaction\n',
      ),
    });
    blocker = new pg.Client({ connectionString: fx.url, application_name: 'dbrs-test-old-snapshot' });
    blocker.on('error', () => {});
    await blocker.connect();
    const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // An idle transaction holding an old snapshot (and only ACCESS SHARE on rooms, which CIC does not wait for): its last phase does.
    await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM rooms');

    const seen: LockWaitSample[] = [];
    const b = blocker;
    let released = false;
    const run = await fx.manager({ lockTimeoutMs: 900 }).runMigration({
      onLockWait: (w) => {
        seen.push(w);
        // Release once the wait has been reported twice: the watch keeps saying it while it lasts.
        if (!released && seen.filter((x) => x.lockType === 'virtualxid').length >= 2) {
          released = true;
          void b.query('COMMIT');
        }
      },
    });

    expect(run.success, run.errorMessage).toBe(true);
    const waits = seen.filter((w) => w.lockType === 'virtualxid');
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits[0]).toMatchObject({
      migration: '002_cic',
      indexPhase: 'waiting for old snapshots',
      blocker: { pid: blockerPid, applicationName: 'dbrs-test-old-snapshot', state: 'idle in transaction' },
    });
    expect(describeLockWait(waits[0]!)).toMatch(
      new RegExp(
        `waits \\d+ s for old snapshots to end, blocked by pid ${blockerPid} .*; index build phase: waiting for old snapshots$`,
      ),
    );
    const idx = await fx.db.query<{ valid: boolean }>(
      "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'rooms_code'::regclass",
    );
    expect(idx.rows[0]!.valid).toBe(true);
  }, 120_000);

  it('normalises queries: literals out, whitespace collapsed, length capped', () => {
    expect(normalizeQuery("SELECT *\n  FROM t WHERE a = 'x''y' AND b = 42")).toBe(
      'SELECT * FROM t WHERE a = ? AND b = ?',
    );
    expect(normalizeQuery('x'.repeat(500)).length).toBe(200);
  });
});
