import { Writable } from 'node:stream';
import { createDatabase, createLogger, type Database } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ComprehensiveStatus,
  createDatabaseReliabilitySuite,
  type DatabaseReliabilitySuite,
  type RunningServer,
  type StatusIssue,
} from '../src/index.js';
import { runCli } from './support/run-cli.js';
import { sql } from './support/suite-helpers.js';

/** A pooled pg client, as far as these tests use it (pg's types are core's dependency, not ours). */
interface HeldClient {
  processID: number;
  query(text: string): Promise<unknown>;
  release(destroy?: boolean): void;
}

/**
 * Problems planted in a real database, as an operator would meet them, must
 * each come out of `getComprehensiveStatus()`, `/status`, the page and
 * `dbrs status` as an issue with a severity from its impact, an action and a
 * section link.
 */
describe('status issues from planted problems (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let sessions: Database;
  const held: HeldClient[] = [];
  const running: Promise<unknown>[] = [];
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  const logLines: Array<{ level: string; event?: string }> = [];
  let status: ComprehensiveStatus;

  const find = (s: ComprehensiveStatus, key: string) => s.issues.filter((i) => i.key?.startsWith(key));

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE orders (id serial PRIMARY KEY, guest text, status text, created_at timestamptz DEFAULT now(), payload text);
       INSERT INTO orders (guest, status, payload)
         SELECT 'g' || (i % 200), CASE WHEN i % 10 = 0 THEN 'open' ELSE 'done' END, repeat('x', 40)
           FROM generate_series(1, 20000) i;
       CREATE INDEX orders_status_a ON orders (status);
       CREATE INDEX orders_status_b ON orders (status);
       CREATE INDEX orders_guest_idx ON orders (guest);
       CREATE INDEX orders_guest_created_idx ON orders (guest, created_at);
       SELECT setval('orders_id_seq', 2100000000);
       CREATE TABLE events (id int, v text) WITH (autovacuum_enabled = false);
       INSERT INTO events SELECT i, 'v' || i FROM generate_series(1, 20000) i;
       DELETE FROM events WHERE id % 10 <> 0;
       ANALYZE orders;`,
    );
    sessions = createDatabase(db.url, { poolMax: 6, applicationName: 'planted-app' });
    // Terminated at the end; their errors are expected.
    sessions.pool.on('connect', (c) => c.on('error', () => {}));
    sessions.pool.on('error', () => {});
    // Recurring load (25 × 80 ms) and a one-off statement that took longer (1 × 400 ms), sent on the raw pool:
    // what core's Database sends is tagged as the suite's own and left out of the workload.
    for (let i = 0; i < 25; i++)
      await sessions.pool.query('SELECT pg_sleep(0.08), count(*) FROM orders WHERE guest = $1', ['g1']);
    await sessions.pool.query('DO $$ BEGIN PERFORM pg_sleep(0.4); END $$');
    const blocker = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(blocker);
    await blocker.query('BEGIN');
    await blocker.query("UPDATE orders SET status = 'held' WHERE id = 1");
    const idle = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(idle);
    await idle.query('BEGIN');
    await idle.query('SELECT count(*) FROM events');
    const waiter = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(waiter);
    running.push(waiter.query("UPDATE orders SET status = 'waiting' WHERE id = 1").catch(() => {}));
    const sleeper = (await sessions.pool.connect()) as unknown as HeldClient;
    held.push(sleeper);
    running.push(sleeper.query('SELECT pg_sleep(120)').catch(() => {}));
    // Statistics reach other backends when the planting sessions flush them (at most once a second).
    await new Promise((r) => setTimeout(r, 2_000));

    const destination = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        cb();
      },
    });
    suite = await createDatabaseReliabilitySuite(
      db.url,
      {
        backupEnabled: false,
        migrationsEnabled: false,
        capacityEnabled: false,
        warningMs: 50,
        slowQueryThresholdMs: 50,
      },
      {
        logger: createLogger({ level: 'debug', destination }),
        // The shared test machine is slow; the bound is not what is tested here.
        componentTimeoutMs: 90_000,
        // The planted sessions are seconds old; production thresholds are minutes.
        liveThresholds: {
          longRunningInfoMs: 500,
          longRunningWarningMs: 1_000,
          idleInTransactionInfoMs: 500,
          idleInTransactionWarningMs: 1_000,
          blockedWarningMs: 500,
        },
      },
    );
    server = await suite.serve({ port: 0, host: '127.0.0.1' });
    status = await suite.getComprehensiveStatus();
  }, 120_000);

  afterAll(async () => {
    await sessions?.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'planted-app' AND pid <> pg_backend_pid()",
    );
    await Promise.allSettled(running);
    for (const c of held) c.release(true);
    await sessions?.close();
    await suite?.shutdown();
  });

  it('reports the sequence near the int4 maximum as critical, with the ALTER that widens it', () => {
    const [seq] = find(status, 'performance.sequence:public.orders_id_seq');
    expect(seq).toMatchObject({ severity: 'critical', section: 'maintenance' });
    expect(seq!.message).toContain('97.8%');
    expect(seq!.message).toContain('2,147,483,647');
    expect(seq!.sql).toContain('TYPE bigint');
  });

  it('names the blocker of a waiting session, the idle transaction and the long-running query', () => {
    const blockerPid = held[0]!.processID;
    const [blocking] = find(status, `database.blocking:${blockerPid}`);
    expect(blocking).toMatchObject({ severity: 'warning', section: 'live-queries' });
    expect(blocking!.message).toContain('idle in transaction');
    expect(blocking!.sql).toBe(`SELECT pg_terminate_backend(${blockerPid});`);
    const [idle] = find(status, `database.idle-in-transaction:${held[1]!.processID}`);
    expect(idle).toMatchObject({ severity: 'warning', section: 'live-queries' });
    expect(idle!.message).toMatch(/holding \d+ lock/);
    const [long] = find(status, `database.long-running:${held[3]!.processID}`);
    expect(long).toMatchObject({ severity: 'warning' });
    expect(long!.message).toContain('pg_sleep');
    expect(long!.sql).toBe(`SELECT pg_cancel_backend(${held[3]!.processID});`);
    // The waiting session is reported through its blocker, not twice.
    expect(find(status, `database.blocked:${held[2]!.processID}`)).toEqual([]);
    expect(status.components.database.status).toBe('degraded');
  });

  it('reports exact and prefix duplicate indexes and unused indexes with DROP statements', () => {
    const exact = find(status, 'performance.duplicate-index:public.orders_status_b');
    expect(exact).toHaveLength(1);
    expect(exact[0]).toMatchObject({ severity: 'warning', section: 'space' });
    expect(exact[0]!.message).toContain('exact duplicate of orders_status_a');
    expect(exact[0]!.sql).toMatch(/^DROP INDEX CONCURRENTLY .*orders_status_b"?;$/);
    const prefix = find(status, 'performance.duplicate-index:public.orders_guest_idx');
    expect(prefix[0]).toMatchObject({ severity: 'info' });
    expect(prefix[0]!.message).toContain('a prefix of orders_guest_created_idx');
    const unused = find(status, 'performance.unused-index:');
    expect(unused.map((i) => i.key)).toEqual(
      expect.arrayContaining(['performance.unused-index:public.orders_status_a']),
    );
    expect(unused.every((i) => i.sql?.startsWith('DROP INDEX'))).toBe(true);
  });

  it('reports the table with 90% dead rows with the VACUUM to run', () => {
    const [dead] = find(status, 'database.dead-rows:public.events');
    expect(dead).toMatchObject({
      severity: 'warning',
      section: 'maintenance',
      sql: 'VACUUM (ANALYZE) "public"."events";',
    });
    expect(dead!.message).toContain('18,000 dead rows (90%');
  });

  it('ranks recurring load above a longer one-off statement, in seconds not raw milliseconds', () => {
    const slow = find(status, 'performance.slow-query:');
    const recurring = slow.find((i) => i.message.includes('guest = $1'));
    const oneOff = slow.find((i) => i.message.includes('(1 call): DO $'));
    expect(recurring, JSON.stringify(slow)).toMatchObject({ severity: 'warning', section: 'queries' });
    expect(recurring!.message).toMatch(/25 calls × \d+ ms mean/);
    expect(oneOff, JSON.stringify(slow)).toMatchObject({ severity: 'info' });
    expect(oneOff!.message).toContain('One-off statement');
    expect(status.issues.indexOf(recurring!)).toBeLessThan(status.issues.indexOf(oneOff!));
    expect(JSON.stringify(status.issues)).not.toMatch(/mean \d{4,} ms/);
  });

  it('orders critical before warning before info, and every issue has an action', () => {
    const rank = { critical: 0, warning: 1, info: 2 };
    const ranks = status.issues.map((i) => rank[i.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const i of status.issues) expect(i.action.length, i.message).toBeGreaterThan(10);
    expect(status.overallHealth).toBe('degraded');
  });

  it('logs nothing at error level for a routine read', async () => {
    logLines.length = 0;
    await suite.getComprehensiveStatus();
    expect(logLines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });

  it('serves the same issues on /status and links them to page sections', async () => {
    const body = (await (await fetch(`${server.url}/status`)).json()) as ComprehensiveStatus;
    const keys = (issues: StatusIssue[]) => issues.map((i) => i.key ?? '').filter((k) => k.startsWith('performance.'));
    expect(keys(status.issues).length).toBeGreaterThan(5);
    expect(keys(body.issues)).toEqual(expect.arrayContaining(keys(status.issues)));
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain('orders_id_seq');
    expect(page).toContain('href="#maintenance"');
    expect(page).toContain('VACUUM (ANALYZE) &quot;public&quot;.&quot;events&quot;;');
    expect(page).toContain('pg_terminate_backend');
  });

  it('shows them in `dbrs status` run as a child process', async () => {
    const r = await runCli(['status', '--timeout-ms', '100000'], {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', SLOW_QUERY_THRESHOLD_MS: '50' },
      timeoutMs: 280_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('orders_id_seq');
    expect(r.stdout).toContain('critical');
    expect(r.stdout).toContain('orders_status_b');
    expect(r.stdout).toContain('VACUUM (ANALYZE) "public"."events";');
    expect(r.stdout).toContain(`pg_terminate_backend(${held[0]!.processID})`);
  }, 300_000);
});
