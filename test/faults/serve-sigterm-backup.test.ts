import {
  descendantPids,
  findServerBinaries,
  type PostgresServer,
  processAlive,
  requireComponent,
  settle,
  startPostgres,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../packages/core/src/index.js';
import { runCli } from '../../packages/suite/test/support/run-cli.js';
import { scratchDir, sql } from '../../packages/suite/test/support/suite-helpers.js';
import { startServe } from './support/serve.js';

// Issue #11, the fault suite: SIGTERM of `dbrs serve` while a backup runs. Graceful means the process exits
// by itself within the shutdown timeout (default 10 s) with its documented code, the backup it abandons is
// not listed, and neither its pg_dump child nor pg_dump's server session outlives it. The backup is kept
// running on purpose: a session holds ACCESS EXCLUSIVE on a table, so pg_dump waits for its lock.
const OPERATOR_KEY = 'fault-operator-key-sigterm-0123456789';
const hasLocal = requireComponent('postgres', findServerBinaries() !== undefined);

describe.skipIf(!hasLocal)('SIGTERM of dbrs serve during a backup', () => {
  let server: PostgresServer;
  const work = scratchDir('dbrs-fault-sigterm-');
  const env = () => ({
    DATABASE_URL: server.url,
    DBRS_API_KEY: OPERATOR_KEY,
    BACKUP_LOCAL_PATH: `${work.path}/backups`,
    LOG_LEVEL: 'warn',
  });

  beforeAll(async () => {
    server = await startPostgres({ source: 'local' });
    await sql(
      server.url,
      'CREATE TABLE bookings (id int PRIMARY KEY); INSERT INTO bookings SELECT generate_series(1, 1000)',
    );
  });
  afterAll(async () => {
    await server?.stop();
    work.remove();
  });

  it('exits 0 within the shutdown timeout, lists no backup, and leaves no pg_dump process or session', async () => {
    const holderDb = createDatabase(server.url, { poolMax: 1, poolMin: 0, applicationName: 'fault-lock-holder' });
    const holder = await holderDb.pool.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE');
    const serve = await startServe({ cwd: work.path, env: env(), args: ['--no-scheduler'] });
    try {
      const posted = fetch(`${serve.url}/actions/backup`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      }).then(
        (r) => r.status,
        () => 0,
      );
      // pg_dump is connected and waiting for its lock on bookings.
      await settle(
        () =>
          sql<{ n: number }>(
            server.url,
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pg_dump' AND wait_event_type = 'Lock'`,
          ),
        (rows) => rows[0]!.n > 0,
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const children = descendantPids(serve.child.pid!);
      expect(children.length).toBeGreaterThan(0);

      const started = Date.now();
      const exit = await serve.stop(30_000);
      const tookMs = Date.now() - started;
      expect(exit, serve.stderr()).toEqual({ code: 0, signal: null });
      // Shutdown timeout 10 s, plus the 2 s the CLI allows lingering handles; a SIGKILL at 30 s would show as signal.
      expect(tookMs).toBeLessThan(30_000);
      expect(await posted).not.toBe(200);
      for (const pid of children) expect(processAlive(pid), `child ${pid} outlived dbrs serve`).toBe(false);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
      await holderDb.close();
    }
    const sessions = await settle(
      () =>
        sql<{ n: number }>(
          server.url,
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE (application_name = 'pg_dump' OR starts_with(application_name, 'voicehive-dbrs')) AND pid <> pg_backend_pid()`,
        ),
      (rows) => rows[0]!.n === 0,
      // pg_dump's backend notices its client is gone only once the lock it waited for is granted.
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(
      sessions[0]!.n,
      JSON.stringify(
        await sql(
          server.url,
          "SELECT application_name, state, wait_event_type, left(query, 80) AS q FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
        ),
      ),
    ).toBe(0);
    const list = await runCli(['backup', 'list', '--json'], { env: env(), cwd: work.path, timeoutMs: 120_000 });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  }, 300_000);
});
