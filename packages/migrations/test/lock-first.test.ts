// Issue #14 §3: retries never repeat heavy work. A 1M-row table, a real idle-in-transaction
// blocker holding a row lock (the incident of the issue), real PostgreSQL. Measured: how often
// the heavy statement ran (pg_stat_statements, and a sampler on pg_locks/pg_stat_activity) and
// the cumulative time the migrating session held ACCESS EXCLUSIVE on the big table.
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@voicehive/db-core';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadParser, parseSqlSync } from '../src/lint/parse.js';
import { plannedLocks } from '../src/runner/lock-first.js';
import { type Fixture, fixture, sqlMigration } from './helpers.js';

const ROWS = 1_000_000;

describe('plannedLocks (what lock-first takes)', () => {
  beforeAll(async () => loadParser());
  const plan = (sql: string) => plannedLocks(parseSqlSync(sql).statements);

  it('strongest mode per table, in order of first use; a referenced table only SHARE ROW EXCLUSIVE', () => {
    expect(
      plan(`UPDATE a SET x = 1;
            ALTER TABLE s.b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id) NOT VALID, ADD COLUMN y int;
            CREATE INDEX a_x ON a (x);
            ALTER TABLE a ALTER COLUMN x TYPE bigint;`),
    ).toEqual([
      { schema: '', name: 'a', mode: 'AccessExclusiveLock' },
      { schema: 's', name: 'b', mode: 'AccessExclusiveLock' },
    ]);
    expect(plan('ALTER TABLE b ADD CONSTRAINT b_a FOREIGN KEY (a_id) REFERENCES a (id) NOT VALID')).toEqual([
      { schema: '', name: 'b', mode: 'ShareRowExclusiveLock' },
      { schema: '', name: 'a', mode: 'ShareRowExclusiveLock' },
    ]);
    expect(plan('ALTER TABLE b ADD COLUMN z int, ADD CONSTRAINT f FOREIGN KEY (z) REFERENCES a (id)')).toEqual([
      { schema: '', name: 'b', mode: 'AccessExclusiveLock' },
      { schema: '', name: 'a', mode: 'ShareRowExclusiveLock' },
    ]);
  });

  it('only schema-qualified names when the migration changes search_path', () => {
    expect(plan('SET search_path = app; ALTER TABLE t ADD COLUMN c int; ALTER TABLE app.u ADD COLUMN c int')).toEqual([
      { schema: 'app', name: 'u', mode: 'AccessExclusiveLock' },
    ]);
  });

  it('nothing for statements that take no table lock it can predict', () => {
    expect(plan("CREATE TYPE mood AS ENUM ('a'); COMMENT ON TABLE t IS 'x'; SELECT 1")).toEqual([]);
  });
});

interface AccessExclusiveTrace {
  /** Sum of the polling intervals in which the migrating session held ACCESS EXCLUSIVE on `big`. */
  heldMs: number;
  /** Of which while its current statement was the heavy one. */
  heavyMs: number;
  /** Distinct executions (query_start) of the heavy statement seen holding the lock. */
  heavyExecutions: Set<string>;
  /** Distinct statements seen holding the lock. */
  statements: Set<string>;
}

/** Polls pg_locks + pg_stat_activity from a third session every 20 ms while `fn` runs. */
async function traceAccessExclusive<T>(url: string, heavy: RegExp, fn: () => Promise<T>) {
  const c = new pg.Client({ connectionString: url, application_name: 'dbrs-test-ae-sampler' });
  c.on('error', () => {});
  await c.connect();
  const trace: AccessExclusiveTrace = { heldMs: 0, heavyMs: 0, heavyExecutions: new Set(), statements: new Set() };
  let running = true;
  const loop = (async () => {
    let prev = performance.now();
    while (running) {
      const { rows } = await c.query<{ query: string; query_start: string }>(
        `SELECT a.query, a.query_start::text
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'relation' AND l.relation = 'public.big'::regclass AND l.mode = 'AccessExclusiveLock'
            AND l.granted AND a.application_name = 'voicehive-dbrs-migrate'`,
      );
      const now = performance.now();
      const row = rows[0];
      if (row) {
        trace.heldMs += now - prev;
        trace.statements.add(row.query);
        if (heavy.test(row.query)) {
          trace.heavyMs += now - prev;
          trace.heavyExecutions.add(row.query_start);
        }
      }
      prev = now;
      await sleep(20);
    }
  })();
  try {
    return { result: await fn(), trace };
  } finally {
    running = false;
    await loop.catch(() => {});
    await c.end().catch(() => {});
  }
}

async function callsOf(db: Fixture['db'], text: string): Promise<number> {
  const r = await db.query<{ calls: string | null }>(
    `SELECT sum(calls)::text AS calls FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query = $1`,
    [text],
  );
  return Number(r.rows[0]?.calls ?? 0);
}

describe('retries never repeat heavy work (1M-row table, real blocker)', () => {
  let fx: Fixture;
  let blocker: pg.Client | undefined;

  beforeAll(async () => {
    fx = await fixture({
      '001_tables.sql': sqlMigration(
        'CREATE TABLE big (id int PRIMARY KEY, v int, w int); CREATE TABLE other (id int PRIMARY KEY, note text);',
        'DROP TABLE other; DROP TABLE big;',
      ),
    });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await fx.db.query(`INSERT INTO big SELECT g, g, g FROM generate_series(1, ${ROWS}) g`);
    await fx.db.query("INSERT INTO other VALUES (1, 'a'), (2, 'b')");
    await fx.db.query('ANALYZE big');
  }, 300_000);

  afterEach(async () => {
    await blocker?.end().catch(() => {});
    blocker = undefined;
  });
  afterAll(async () => fx?.cleanup());

  async function holdRowLock(): Promise<number> {
    blocker = new pg.Client({ connectionString: fx.url, application_name: 'dbrs-test-blocker' });
    blocker.on('error', () => {});
    await blocker.connect();
    const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // The incident: an idle-in-transaction session holding a row lock.
    await blocker.query('BEGIN; SELECT * FROM other WHERE id = 1 FOR UPDATE');
    return pid;
  }

  function logSink() {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    return { lines, logger };
  }

  it('lock-first: the lock timeouts happen before the rewrite, which runs exactly once', async () => {
    const heavy = 'ALTER TABLE big ALTER COLUMN v TYPE text';
    await fx.write({
      '002_rewrite.sql': sqlMigration(
        `${heavy};\nALTER TABLE other ADD COLUMN extra text;`,
        'ALTER TABLE other DROP COLUMN extra;\nALTER TABLE big ALTER COLUMN v TYPE int USING v::int;',
      ),
    });
    const blockerPid = await holdRowLock();
    const { lines, logger } = logSink();
    // The blocker ends after the second retry, so the run needs a third attempt to succeed.
    const release = (async () => {
      while (lines.filter((l) => l['event'] === 'migration_lock_timeout_retry').length < 2) await sleep(20);
      await blocker!.query('COMMIT');
    })();
    const { result: run, trace } = await traceAccessExclusive(fx.url, /ALTER COLUMN v TYPE text/, () =>
      fx.manager({ lockTimeoutMs: 600, maxLockRetries: 10, logger }).runMigration(),
    );
    await release;

    expect(run.success, run.errorMessage).toBe(true);
    const outcome = run.report.migrations.find((m) => m.name === '002_rewrite')!;
    expect(outcome.attempts).toBeGreaterThanOrEqual(3);
    expect(outcome.upfrontLocks).toEqual([
      { relation: 'public.big', mode: 'AccessExclusiveLock' },
      { relation: 'public.other', mode: 'AccessExclusiveLock' },
    ]);
    // Every failed attempt timed out in the lock phase, on `other`, before any statement ran.
    const retries = lines.filter((l) => l['event'] === 'migration_lock_timeout_retry');
    expect(retries.length).toBe(outcome.attempts - 1);
    for (const r of retries) expect(r['lockingUpFront']).toBe('public.other');
    const waits = lines.filter((l) => l['event'] === 'migration_lock_wait');
    expect(waits.some((w) => (w['blocker'] as { pid?: number } | undefined)?.pid === blockerPid)).toBe(true);
    // The heavy statement ran once: pg_stat_statements counts completed executions (rolled back or not).
    expect(await callsOf(fx.db, heavy)).toBe(1);
    expect(trace.heavyExecutions.size).toBe(1);
    // While ACCESS EXCLUSIVE on big was held, the session ran only the lock phase, the heavy statement once,
    // the rest of the migration and its bookkeeping — never the heavy statement in a failed attempt.
    expect([...trace.statements].filter((q) => /ALTER COLUMN v TYPE text/.test(q)).length).toBe(1);
    const col = await fx.db.query<{ t: string }>(
      "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'v'",
    );
    expect(col.rows[0]!.t).toBe('text');
    console.log(
      `[lock-first] attempts=${outcome.attempts} heavy calls=1 ACCESS EXCLUSIVE on big held ${Math.round(trace.heldMs)} ms in total, ` +
        `${Math.round(trace.heavyMs)} ms of it in the rewrite, ${Math.round(trace.heldMs - trace.heavyMs)} ms in lock phases/bookkeeping`,
    );
  }, 300_000);

  it('retry guard: a lock timeout after a rewrite (row lock lock-first cannot take) is not retried', async () => {
    const heavy = 'ALTER TABLE big ALTER COLUMN w TYPE bigint';
    await fx.write({
      '003_guard.sql': sqlMigration(
        `${heavy};\nUPDATE other SET note = 'z' WHERE id = 1;`,
        'ALTER TABLE big ALTER COLUMN w TYPE int;',
      ),
    });
    await holdRowLock();
    const { lines, logger } = logSink();
    const { result: run, trace } = await traceAccessExclusive(fx.url, /ALTER COLUMN w TYPE bigint/, () =>
      fx.manager({ lockTimeoutMs: 600, maxLockRetries: 10, logger }).runMigration(),
    );

    expect(run.success).toBe(false);
    expect(run.error?.details['sqlstate']).toBe('55P03');
    const outcome = run.report.migrations.find((m) => m.name === '003_guard')!;
    // Lock-first took big (ACCESS EXCLUSIVE) and other (ROW EXCLUSIVE, which the FOR UPDATE does not block).
    expect(outcome.upfrontLocks).toEqual([
      { relation: 'public.big', mode: 'AccessExclusiveLock' },
      { relation: 'public.other', mode: 'RowExclusiveLock' },
    ]);
    expect(outcome.attempts).toBe(1);
    expect(outcome.statements.map((s) => s.status)).toEqual(['rolled-back', 'failed']);
    expect(outcome.retryStopped).toMatch(/read or written \d+ rows/);
    expect(run.errorMessage).toContain('not retried');
    expect(lines.filter((l) => l['event'] === 'migration_lock_timeout_retry')).toEqual([]);
    expect(lines.filter((l) => l['event'] === 'migration_lock_timeout_not_retried').length).toBe(1);
    expect(await callsOf(fx.db, heavy)).toBe(1);
    expect(trace.heavyExecutions.size).toBe(1);
    const col = await fx.db.query<{ t: string }>(
      "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'w'",
    );
    expect(col.rows[0]!.t).toBe('integer');
    console.log(
      `[retry guard] attempts=1 ACCESS EXCLUSIVE on big held ${Math.round(trace.heldMs)} ms (rewrite ${Math.round(trace.heavyMs)} ms), not multiplied`,
    );
  }, 300_000);
});
