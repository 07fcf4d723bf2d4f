import { createAuditLog, createLogger, createMetrics, isDbrsError, LeaderLock } from '@voicehive/db-core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture, sqlMigration, tableExists } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('runner', () => {
  it('applies, reports status, records rows in the log and rolls back with a schema check', async () => {
    fx = await fixture({
      '001_rooms.sql': sqlMigration('CREATE TABLE rooms (id bigint PRIMARY KEY, name text);', 'DROP TABLE rooms;'),
      '002_guests.sql': sqlMigration(
        'CREATE TABLE guests (id bigint PRIMARY KEY);\nALTER TABLE rooms ADD COLUMN floor int;',
        'ALTER TABLE rooms DROP COLUMN floor;\nDROP TABLE guests;',
      ),
    });
    const metrics = createMetrics();
    const m = fx.manager({ metrics });
    await m.initialize();
    expect((await m.status()).pending).toEqual(['001_rooms', '002_guests']);
    expect((await m.plan()).migrations.map((p) => p.name)).toEqual(['001_rooms', '002_guests']);
    const run = await m.runMigration();
    expect(run.errorMessage).toBeUndefined();
    expect(run.success).toBe(true);
    expect(run.applied).toEqual(['001_rooms', '002_guests']);
    expect(run.report.lint?.findings).toBeDefined();
    const status = await m.status();
    expect(status.pending).toEqual([]);
    expect(status.current).toBe('002_guests');
    expect(status.applied.every((a) => a.checksumMatches === true && a.checksum.length === 64)).toBe(true);
    expect(await metrics.text()).toMatch(/voicehive_migrations_applied_total\{direction="up"\} 2/);

    const back = await m.rollback();
    expect(back.errorMessage).toBeUndefined();
    expect(back.reverted).toEqual(['002_guests']);
    expect(back.schemaCheck).toMatchObject({ checked: true, against: '001_rooms', matches: true });
    expect(await tableExists(fx.db, 'guests')).toBe(false);
    const all = await m.rollback({ to: 0 });
    expect(all.success).toBe(true);
    expect(all.schemaCheck.matches).toBe(true);
    expect(await tableExists(fx.db, 'rooms')).toBe(false);
    expect((await m.status()).pending).toHaveLength(2);
  });

  it('rolls back with a matching schema on a fresh database whose audit table the first run creates', async () => {
    fx = await fixture({
      '001_rooms.sql': sqlMigration('CREATE TABLE rooms (id bigint PRIMARY KEY);', 'DROP TABLE rooms;'),
      '002_guests.sql': sqlMigration('CREATE TABLE guests (id bigint PRIMARY KEY);', 'DROP TABLE guests;'),
    });
    const m = fx.manager({ audit: createAuditLog({ database: fx.db }) });
    const before = await fx.db.query<{ t: string | null }>("SELECT to_regclass('dbrs.dbrs_audit_log') AS t");
    expect(before.rows[0]?.t).toBeNull();
    expect((await m.runMigration()).success).toBe(true);
    const audited = await fx.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM dbrs.dbrs_audit_log WHERE action = 'migration.apply'",
    );
    expect(audited.rows[0]?.n).toBe(2);
    const back = await m.rollback();
    expect(back.schemaCheck).toMatchObject({ checked: true, against: '001_rooms', matches: true });
    expect(back.success).toBe(true);
  });

  it('targets a revision and runs nothing when up to date', async () => {
    fx = await fixture({
      '001_a.sql': sqlMigration('CREATE TABLE a (id int);', 'DROP TABLE a;'),
      '002_b.sql': sqlMigration('CREATE TABLE b (id int);', 'DROP TABLE b;'),
    });
    const m = fx.manager();
    expect((await m.runMigration({ targetRevision: '001_a' })).applied).toEqual(['001_a']);
    expect(await tableExists(fx.db, 'b')).toBe(false);
    const unknown = await m.runMigration({ targetRevision: 'nope' });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.code).toBe('NOT_FOUND');
    expect((await m.runMigration()).applied).toEqual(['002_b']);
    expect((await m.runMigration()).applied).toEqual([]);
  });

  it('stops on a changed applied migration until repair accepts it, with an audit entry', async () => {
    fx = await fixture({ '001_a.sql': sqlMigration('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const audit = createAuditLog();
    const entries: string[] = [];
    const orig = audit.record.bind(audit);
    audit.record = async (e) => {
      entries.push(`${e.action}:${e.target}:${e.outcome}`);
      return orig(e);
    };
    const m = fx.manager({ audit });
    expect((await m.runMigration()).success).toBe(true);
    await fx.write({
      '001_a.sql': sqlMigration('CREATE TABLE a (id int); -- edited', 'DROP TABLE a;'),
      '002_b.sql': sqlMigration('CREATE TABLE b (id int);', 'DROP TABLE b;'),
    });
    const blocked = await m.runMigration();
    expect(blocked.success).toBe(false);
    expect(blocked.error?.code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect(blocked.errorMessage).toContain('001_a');
    expect(await tableExists(fx.db, 'b')).toBe(false);
    expect((await m.status()).checksumMismatches).toEqual(['001_a']);
    const repaired = await m.repair('001_a');
    expect(repaired.previousChecksum).not.toBe(repaired.checksum);
    expect((await m.runMigration()).applied).toEqual(['002_b']);
    expect(entries).toEqual([
      'migration.apply:001_a:success',
      'migration.repair:001_a:success',
      'migration.apply:002_b:success',
    ]);
    await expect(m.repair('999')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // While another runner holds the global migration lock, repair waits for it and gives up at the timeout.
    await fx.write({ '001_a.sql': sqlMigration('CREATE TABLE a (id int); -- edited twice', 'DROP TABLE a;') });
    const holder = new LeaderLock(fx.db, { name: 'dbrs-migrations:dbrs.dbrs_migrations' });
    await holder.acquireOrThrow({ timeoutMs: 5000 });
    try {
      const waiting = fx.manager({ lockWaitTimeoutMs: 300 });
      await expect(waiting.repair('001_a')).rejects.toMatchObject({ code: 'LOCK_NOT_ACQUIRED' });
      await waiting.close();
      expect((await m.status()).checksumMismatches).toEqual(['001_a']);
    } finally {
      await holder.close();
    }
    expect((await m.repair('001_a')).name).toBe('001_a');
  });

  it('refuses a migration ordered before applied ones unless allowOutOfOrder', async () => {
    fx = await fixture({ '002_b.sql': sqlMigration('CREATE TABLE b (id int);', 'DROP TABLE b;') });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.write({ '001_a.sql': sqlMigration('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const strict = await fx.manager().runMigration();
    expect(strict.error?.code).toBe('MIGRATION_ORDER');
    expect(await tableExists(fx.db, 'a')).toBe(false);
    const lax = await fx.manager({ allowOutOfOrder: true }).runMigration();
    expect(lax.applied).toEqual(['001_a']);
  });

  it('rejects a migration without down unless declared irreversible, and will not roll that one back', async () => {
    fx = await fixture({ '001_a.sql': sqlMigration('CREATE TABLE a (id int);') });
    const missing = await fx.manager().runMigration();
    expect(missing.success).toBe(false);
    expect(missing.error?.code).toBe('MIGRATION_IRREVERSIBLE');
    expect(missing.errorMessage).toMatch(/001_a.*no down migration/);
    expect(await tableExists(fx.db, 'a')).toBe(false);
    await fx.write({ '001_a.sql': '-- dbrs:irreversible\n-- migrate:up\nCREATE TABLE a (id int);\n' });
    const m = fx.manager();
    expect((await m.runMigration()).success).toBe(true);
    const back = await m.rollback();
    expect(back.success).toBe(false);
    expect(back.error?.code).toBe('MIGRATION_IRREVERSIBLE');
    expect(await tableExists(fx.db, 'a')).toBe(true);
  });

  it('reports a syntax error with file and line and applies nothing', async () => {
    fx = await fixture({
      '001_ok.sql': sqlMigration('CREATE TABLE ok (id int);', 'DROP TABLE ok;'),
      '002_bad.sql': sqlMigration(
        'CREATE TABLE fine (id int);\n\nALTER TABLEE fine ADD COLUMN x int;',
        'DROP TABLE fine;',
      ),
    });
    const run = await fx.manager().runMigration();
    expect(run.success).toBe(false);
    expect(run.error?.code).toBe('MIGRATION_SYNTAX');
    expect(run.errorMessage).toContain('002_bad.sql');
    expect(run.error?.details['line']).toBe(4);
    expect(run.errorMessage).toContain('line 4');
    expect(await tableExists(fx.db, 'ok')).toBe(false);
  });

  it('rolls back a migration that fails half way and does not record it', async () => {
    fx = await fixture({
      '001_a.sql': sqlMigration('CREATE TABLE a (id int PRIMARY KEY);', 'DROP TABLE a;'),
      '002_half.sql': sqlMigration('CREATE TABLE half (id int);\nINSERT INTO a VALUES (1), (1);', 'DROP TABLE half;'),
    });
    const metrics = createMetrics();
    const m = fx.manager({ metrics });
    const run = await m.runMigration();
    expect(run.success).toBe(false);
    expect(run.applied).toEqual(['001_a']);
    expect(run.error?.code).toBe('MIGRATION_FAILED');
    expect(run.errorMessage).toMatch(/002_half.*statement 2 \(line 3\).*duplicate key.*23505.*rolled back/s);
    expect(await tableExists(fx.db, 'half')).toBe(false);
    expect((await m.status()).pending).toEqual(['002_half']);
    const failed = run.report.migrations.find((o) => o.name === '002_half')!;
    expect(failed.statements.map((s) => s.status)).toEqual(['rolled-back', 'failed']);
    expect(await metrics.text()).toMatch(/voicehive_migrations_failed_total\{direction="up"\} 1/);
  });

  it('lets exactly one of two concurrent runners apply each migration', async () => {
    fx = await fixture({
      '001_slow.sql': sqlMigration(
        'CREATE TABLE counter (n int);\nSELECT pg_sleep(0.5);\nINSERT INTO counter VALUES (1);',
        'DROP TABLE counter;',
      ),
      '002_more.sql': sqlMigration('INSERT INTO counter VALUES (2);', 'DELETE FROM counter WHERE n = 2;'),
    });
    const [a, b] = await Promise.all([fx.manager().runMigration(), fx.manager().runMigration()]);
    expect([a.errorMessage, b.errorMessage]).toEqual([undefined, undefined]);
    expect([...a.applied, ...b.applied].sort()).toEqual(['001_slow', '002_more']);
    const rows = await fx.db.query<{ n: number }>('SELECT n FROM counter ORDER BY n');
    expect(rows.rows.map((r) => r.n)).toEqual([1, 2]);
  });

  it('fails cleanly when the global lock is held past lockWaitTimeoutMs', async () => {
    fx = await fixture({ '001_a.sql': sqlMigration('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const holder = fx.manager();
    // Hold the same advisory lock the runner uses, from another session.
    const { LeaderLock } = await import('@voicehive/db-core');
    const lock = new LeaderLock(fx.db, { name: 'dbrs-migrations:dbrs.dbrs_migrations' });
    await lock.acquireOrThrow();
    const run = await fx.manager({ lockWaitTimeoutMs: 300 }).runMigration();
    await lock.close();
    expect(run.success).toBe(false);
    expect(run.error?.code).toBe('LOCK_NOT_ACQUIRED');
    expect(await tableExists(fx.db, 'a')).toBe(false);
    expect((await holder.runMigration()).applied).toEqual(['001_a']);
  });

  it('reports exactly which statements of a failed no-transaction migration were applied', async () => {
    fx = await fixture({
      '001_nt.sql': sqlMigration(
        'CREATE TABLE IF NOT EXISTS nt1 (id int);\nCREATE TABLE IF NOT EXISTS nt2 (id int);\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE nt3 (id int);',
        'DROP TABLE IF EXISTS nt3, nt2, nt1;',
        '-- dbrs:no-transaction\n',
      ),
    });
    const m = fx.manager();
    const run = await m.runMigration();
    expect(run.success).toBe(false);
    const o = run.report.migrations[0]!;
    expect(o.transactional).toBe(false);
    expect(o.statements.map((s) => [s.index, s.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [3, 'failed'],
    ]);
    expect(run.errorMessage).toMatch(/statements 1, 2 were applied/);
    expect(await tableExists(fx.db, 'nt2')).toBe(true);
    expect(await tableExists(fx.db, 'nt3')).toBe(false);
    expect((await m.status()).pending).toEqual(['001_nt']);
  });

  it('drops the INVALID index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves', async () => {
    fx = await fixture({
      '001_t.sql': sqlMigration('CREATE TABLE dup (v int);\nINSERT INTO dup VALUES (1), (1);', 'DROP TABLE dup;'),
      '002_idx.sql': sqlMigration(
        'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dup_v ON dup (v);',
        'DROP INDEX CONCURRENTLY IF EXISTS dup_v;',
        '-- dbrs:no-transaction\n',
      ),
    });
    const run = await fx.manager().runMigration();
    expect(run.success).toBe(false);
    expect(run.applied).toEqual(['001_t']);
    expect(run.report.migrations[1]!.droppedInvalidIndexes).toEqual(['public.dup_v']);
    const left = await fx.db.query("SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('dup_v')");
    expect(left.rowCount).toBe(0);
  });

  /** Applies 001 (table busy), writes a pending 002 that ALTERs it, and opens a session holding a conflicting lock on it. */
  async function pendingAlterOfLockedTable(): Promise<{ f: Fixture; blocker: pg.Client }> {
    const f = await fixture({ '001_t.sql': sqlMigration('CREATE TABLE busy (id int);', 'DROP TABLE busy;') });
    fx = f;
    expect((await f.manager().runMigration()).success).toBe(true);
    await f.write({
      '002_alter.sql': sqlMigration('ALTER TABLE busy ADD COLUMN note text;', 'ALTER TABLE busy DROP COLUMN note;'),
    });
    const blocker = new pg.Client({ connectionString: f.url });
    // Dropping the test database terminates it if a test fails before ending it.
    blocker.on('error', () => {});
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE');
    return { f, blocker };
  }

  it('retries on lock_timeout (55P03) and succeeds once the conflicting lock is gone', async () => {
    const { f, blocker } = await pendingAlterOfLockedTable();
    // Release the lock once the first retry is logged: a fixed delay could fire before the first
    // attempt has even started on a loaded machine, and the run would then succeed at once.
    let committed: Promise<unknown> | undefined;
    const commitOnRetry = createLogger({
      level: 'warn',
      destination: {
        write(line: string) {
          if (!committed && line.includes('"migration_lock_timeout_retry"')) {
            committed = blocker.query('COMMIT').then(
              () => undefined,
              (e: unknown) => e,
            );
          }
        },
      },
    });
    const run = await f
      .manager({ lockTimeoutMs: 200, maxLockRetries: 10, retryBaseMs: 100, retryMaxMs: 200, logger: commitOnRetry })
      .runMigration();
    expect(await committed).toBeUndefined();
    await blocker.end();
    expect(run.errorMessage).toBeUndefined();
    expect(run.report.migrations[0]!.attempts).toBeGreaterThan(1);
    const cols = await f.db.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'note'",
    );
    expect(cols.rowCount).toBe(1);
  });

  it('gives up with the lock-timeout error after maxLockRetries', async () => {
    const { f, blocker } = await pendingAlterOfLockedTable();
    const run = await f
      .manager({ lockTimeoutMs: 50, maxLockRetries: 2, retryBaseMs: 10, retryMaxMs: 20 })
      .runMigration();
    await blocker.end();
    expect(run.success).toBe(false);
    expect(run.error?.details['sqlstate']).toBe('55P03');
    expect(run.report.migrations[0]!.attempts).toBe(3);
  });

  /** A logger whose destination aborts `ac` as soon as a lock-timeout retry is logged, i.e. at the start of a backoff. */
  function abortOnRetry(ac: AbortController) {
    return createLogger({
      level: 'warn',
      destination: {
        write(line: string) {
          if (line.includes('"migration_lock_timeout_retry"')) ac.abort();
        },
      },
    });
  }

  // The backoff is at least 30 s (60 s with jitter down to half) and the test times out at 20 s,
  // so only an abort that ends the backoff itself lets it pass.
  it('ends a transactional lock-retry backoff at once when aborted, with code ABORTED', {
    timeout: 20_000,
  }, async () => {
    const { f, blocker } = await pendingAlterOfLockedTable();
    const ac = new AbortController();
    const run = await f
      .manager({
        lockTimeoutMs: 50,
        maxLockRetries: 5,
        retryBaseMs: 60_000,
        retryMaxMs: 60_000,
        logger: abortOnRetry(ac),
      })
      .runMigration({ signal: ac.signal });
    await blocker.end();
    expect(ac.signal.aborted).toBe(true);
    expect(run.success).toBe(false);
    expect(run.error?.code).toBe('ABORTED');
    expect(run.report.migrations[0]!.attempts).toBe(1);
    expect((await f.manager().status()).pending).toEqual(['002_alter']);
  });

  it('ends a no-transaction statement lock-retry backoff at once when aborted, with code ABORTED', {
    timeout: 20_000,
  }, async () => {
    const f = await fixture({ '001_t.sql': sqlMigration('CREATE TABLE busy (id int);', 'DROP TABLE busy;') });
    fx = f;
    expect((await f.manager().runMigration()).success).toBe(true);
    await f.write({
      '002_alter.sql': sqlMigration(
        'ALTER TABLE busy ADD COLUMN note text;',
        'ALTER TABLE busy DROP COLUMN note;',
        '-- dbrs:no-transaction\n',
      ),
    });
    const blocker = new pg.Client({ connectionString: f.url });
    // Dropping the test database terminates it if a test fails before ending it.
    blocker.on('error', () => {});
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE busy IN ACCESS SHARE MODE');
    const ac = new AbortController();
    const run = await f
      .manager({
        lockTimeoutMs: 50,
        maxLockRetries: 5,
        retryBaseMs: 60_000,
        retryMaxMs: 60_000,
        logger: abortOnRetry(ac),
      })
      .runMigration({ signal: ac.signal });
    await blocker.end();
    expect(ac.signal.aborted).toBe(true);
    expect(run.success).toBe(false);
    expect(run.error?.code).toBe('ABORTED');
    expect(run.report.migrations[0]!.transactional).toBe(false);
    expect((await f.manager().status()).pending).toEqual(['002_alter']);
  });

  it('detects a wrong down on rollback and reports the difference', async () => {
    fx = await fixture({
      '001_t.sql': sqlMigration('CREATE TABLE t (id int, a text);', 'DROP TABLE t;'),
      '002_idx.sql': sqlMigration('CREATE INDEX t_a ON t (a);\nALTER TABLE t ADD COLUMN b int;', 'DROP INDEX t_a;'),
    });
    const m = fx.manager();
    expect((await m.runMigration()).success).toBe(true);
    const back = await m.rollback({ step: 1 });
    expect(back.success).toBe(false);
    expect(back.error?.code).toBe('INTEGRITY_FAILED');
    expect(back.reverted).toEqual(['002_idx']);
    expect(back.schemaCheck.matches).toBe(false);
    expect(back.schemaCheck.differences).toEqual([
      { object: 'column public.t.b', kind: 'unexpected', actual: 'integer' },
    ]);
  });

  it('runs .ts and .mjs module migrations with Kysely, and refuses bad input', async () => {
    fx = await fixture({
      '001_kysely.ts': `import type { Kysely } from 'kysely';
export async function up({ db }: { db: Kysely<any> }): Promise<void> {
  await db.schema.createTable('ts_table').addColumn('id', 'bigint', (c) => c.primaryKey()).execute();
  await db.insertInto('ts_table').values({ id: 1 }).execute();
}
export async function down({ db }: { db: Kysely<any> }): Promise<void> {
  await db.schema.dropTable('ts_table').execute();
}
`,
      '002_raw.mjs': `export const up = async ({ sql, db }) => { await sql\`ALTER TABLE ts_table ADD COLUMN note text\`.execute(db); };
export const down = async ({ sql, db }) => { await sql\`ALTER TABLE ts_table DROP COLUMN note\`.execute(db); };
`,
    });
    const m = fx.manager();
    const lint = await m.lint();
    expect(lint.captureErrors).toEqual([]);
    expect(lint.findings.some((f) => f.migration === '001_kysely' && f.rule === 'prefer-bigint-over-int')).toBe(false);
    expect(await tableExists(fx.db, 'ts_table')).toBe(false);
    const run = await m.runMigration();
    expect(run.errorMessage).toBeUndefined();
    expect(run.applied).toEqual(['001_kysely', '002_raw']);
    const rows = await fx.db.query('SELECT id, note FROM ts_table');
    expect(rows.rows).toEqual([{ id: '1', note: null }]);
    expect((await m.rollback({ to: 0 })).success).toBe(true);
    expect(await tableExists(fx.db, 'ts_table')).toBe(false);
    expect(() => fx!.manager({ migrationsDir: '' })).toThrow(/migrationsDir/);
    expect(() => fx!.manager({ lockTimeoutMs: -1 })).toThrow(/lockTimeoutMs/);
  });

  it('captures TS migration SQL for the linter without changing the database', async () => {
    fx = await fixture({
      '001_t.sql': sqlMigration('CREATE TABLE big (id bigint, v text);', 'DROP TABLE big;'),
    });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.write({
      '002_idx.ts': `export async function up({ db }) { await db.schema.createIndex('big_v').on('big').column('v').execute(); }
export async function down({ db }) { await db.schema.dropIndex('big_v').execute(); }
`,
    });
    const report = await fx.manager().lint();
    const f = report.findings.find((x) => x.rule === 'require-concurrent-index-creation');
    expect(f?.migration).toBe('002_idx');
    expect(f?.statement).toMatch(/create index "big_v" on "big"/i);
    const idx = await fx.db.query("SELECT to_regclass('big_v') AS r");
    expect(idx.rows[0]!.r).toBeNull();
  });

  it('aborts a running migration through its AbortSignal: cancelled on the server, rolled back, not recorded', async () => {
    fx = await fixture({
      '001_slow.sql': sqlMigration('CREATE TABLE slow (id int);\nSELECT pg_sleep(30);', 'DROP TABLE slow;'),
    });
    const m = fx.manager();
    const ac = new AbortController();
    const poll = setInterval(async () => {
      const r = await fx!.db.query(
        // Not the poll's own queries: their text names pg_sleep(30) too, and one may still be in flight.
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND query NOT LIKE '%pg_stat_activity%' AND state = 'active'",
      );
      if ((r.rowCount ?? 0) > 0) ac.abort();
    }, 50);
    const run = await m.runMigration({ signal: ac.signal });
    clearInterval(poll);
    expect(run.success).toBe(false);
    expect(run.error?.code).toBe('ABORTED');
    const still = await fx.db.query(
      // Not the poll's own queries: their text names pg_sleep(30) too, and one may still be in flight.
      "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND query NOT LIKE '%pg_stat_activity%' AND state = 'active'",
    );
    expect(still.rowCount).toBe(0);
    expect(await tableExists(fx.db, 'slow')).toBe(false);
    expect((await m.status()).pending).toEqual(['001_slow']);
    const pre = new AbortController();
    pre.abort();
    expect((await m.runMigration({ signal: pre.signal })).error?.code).toBe('ABORTED');
  });

  it('stops the run when the global lock session dies, and records nothing half done', async () => {
    fx = await fixture({
      '001_slow.sql': sqlMigration('CREATE TABLE slow (id int);\nSELECT pg_sleep(30);', 'DROP TABLE slow;'),
    });
    const m = fx.manager();
    const killer = setInterval(async () => {
      // The real run's session only: the same statement runs first in the scratch-database test, before the
      // global lock is taken, and killing "the lock session" then kills nothing (the run then rightly succeeds).
      const r = await fx!.db.query(
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND application_name = 'voicehive-dbrs-migrate'",
      );
      if ((r.rowCount ?? 0) > 0) {
        clearInterval(killer);
        await fx!.db.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'voicehive-dbrs-lock:%'",
        );
      }
    }, 50);
    const run = await m.runMigration();
    clearInterval(killer);
    expect(run.success).toBe(false);
    expect(run.error?.code).toBe('ABORTED');
    expect(await tableExists(fx.db, 'slow')).toBe(false);
    expect((await m.status()).pending).toEqual(['001_slow']);
  });

  it('closes cleanly and refuses work afterwards', async () => {
    fx = await fixture();
    const m = fx.manager();
    await m.close();
    await m.close();
    const run = await m.runMigration();
    expect(run.error?.code).toBe('CLOSED');
    expect(isDbrsError(run.error)).toBe(true);
  });
});
