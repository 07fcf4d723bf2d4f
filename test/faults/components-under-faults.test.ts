import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findServerBinaries,
  type PostgresServer,
  requireComponent,
  sessionsByApplication,
  settle,
  startPostgres,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, isDbrsError } from '../../packages/core/src/index.js';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../../packages/suite/src/index.js';
import { scratchDir, sql } from '../../packages/suite/test/support/suite-helpers.js';

// Issue #11, the fault suite: what each component does when PostgreSQL stops under a maintenance cycle, when
// its backend is terminated in the middle of a read, and when the server restarts in the middle of a
// migration. Each case asserts the promise: a DbrsError (never a crash), nothing half-done recorded, no
// session of the suite left behind, and the same call working again once the fault is gone.
const hasLocal = requireComponent(
  'postgres',
  findServerBinaries() !== undefined,
  'needs local server binaries (pg_ctl) to stop and start the server: apt-get install postgresql-15',
);

/** A session holding ACCESS EXCLUSIVE on `table` until released: whoever reads the table waits on it. */
async function holdLock(url: string, table: string): Promise<{ release(): Promise<void> }> {
  const db = createDatabase(url, { poolMax: 1, poolMin: 0, applicationName: 'fault-lock-holder' });
  const holder = await db.pool.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
      await db.close();
    },
  };
}

/** Terminates every backend (other than the holder) waiting for a lock: a backend killed mid-query. */
async function terminateLockWaiters(url: string, timeoutMs = 60_000): Promise<string[]> {
  return settle(
    async () =>
      (
        await sql<{ app: string }>(
          url,
          `SELECT application_name AS app, pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND application_name <> 'fault-lock-holder' AND pid <> pg_backend_pid()`,
        )
      ).map((r) => r.app),
    (apps) => apps.length > 0,
    { timeoutMs, intervalMs: 100 },
  );
}

describe.skipIf(!hasLocal)('components under faults (real PostgreSQL 15, stopped, restarted, backends killed)', () => {
  let server: PostgresServer;
  let suite: DatabaseReliabilitySuite;
  const work = scratchDir('dbrs-fault-components-');
  const migrations = join(work.path, 'migrations');
  let url: string;

  beforeAll(async () => {
    server = await startPostgres({ source: 'local' });
    url = server.url;
    await sql(
      url,
      `CREATE TABLE rooms (id int PRIMARY KEY, name text); INSERT INTO rooms SELECT g, 'r' || g FROM generate_series(1, 1000) g`,
    );
    mkdirSync(migrations);
    suite = await createDatabaseReliabilitySuite(url, {
      logging: { level: 'silent' },
      database: { poolMinSize: 0 },
      migrations: { migrationsDir: migrations, testFirst: false, lockTimeoutMs: 60_000 },
      backup: { localPath: join(work.path, 'backups') },
    });
  });
  afterAll(async () => {
    await suite?.shutdown();
    await server?.stop();
    work.remove();
  });

  it('a maintenance cycle while PostgreSQL is stopped fails cleanly, and the next one after the restart runs', async () => {
    await server.stopServer!('fast');
    try {
      const outcome = await suite.runMaintenanceCycle({ actor: 'fault-test' }).then(
        (r) => ({ ok: true as const, r }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      // Either refused as a whole (the leader lock needs the server) or every task that ran failed.
      if (outcome.ok) expect(outcome.r.tasksCompleted).toBe(0);
      else expect(isDbrsError(outcome.err), String(outcome.err)).toBe(true);
    } finally {
      await server.startServer!();
    }
    const again = await settle(
      () => suite.runMaintenanceCycle({ actor: 'fault-test' }).catch(() => undefined),
      (r) => r?.ran === true && r.tasksFailed === 0,
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect(again?.tasksCompleted).toBeGreaterThan(0);
  });

  const readPaths: Array<[string, () => Promise<unknown>]> = [
    ['capacity: collectSample', () => suite.capacity!.collectSample()],
    ['migrations: status', () => suite.migrations!.status()],
    ['suite: getComprehensiveStatus', () => suite.getComprehensiveStatus()],
    // Its statement reads go through the pg_stat_statements view; a query on a view takes a lock on it.
    ['performance: getPerformanceReport', () => suite.performance!.getPerformanceReport({ advise: false })],
    // The dump's session (or pg_dump's) is the one killed; the backup must fail as a whole and list nothing new.
    ['backup: createBackup', () => suite.backup!.createBackup()],
  ];

  it.each(readPaths)(
    '%s: a backend terminated mid-query is a DbrsError, and the next call works',
    async (name, read) => {
      // Something for the migration read path to wait on: its log table, made by a first run.
      if (name.startsWith('migrations')) {
        writeFileSync(
          join(migrations, '0001_t.sql'),
          '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n',
        );
        await suite.migrations!.runMigration({ actor: 'fault-test' });
      }
      const backupsBefore = name.startsWith('backup') ? (await suite.backup!.listBackups()).length : 0;
      const table = name.startsWith('migrations')
        ? 'dbrs.dbrs_migrations'
        : name.startsWith('performance')
          ? 'public.pg_stat_statements'
          : 'rooms';
      const lock = await holdLock(url, table);
      let outcome: { ok: boolean; err?: unknown };
      try {
        const pending = read().then(
          () => ({ ok: true }),
          (err: unknown) => ({ ok: false, err }),
        );
        const killed = await terminateLockWaiters(url);
        expect(killed.length).toBeGreaterThan(0);
        outcome = await pending;
      } finally {
        await lock.release();
      }
      // A component may absorb the lost backend into its answer (a status reports a failed part); if it
      // throws, it is a DbrsError, not a raw pg error or a crash.
      if (!outcome.ok) expect(isDbrsError(outcome.err), String(outcome.err)).toBe(true);
      if (name.startsWith('backup')) {
        expect(outcome.ok).toBe(false);
        expect(await suite.backup!.listBackups()).toHaveLength(backupsBefore);
      }
      await expect(read()).resolves.toBeDefined();
      if (name.startsWith('backup')) expect(await suite.backup!.listBackups()).toHaveLength(backupsBefore + 1);
    },
  );

  it('a PostgreSQL restart in the middle of a migration records nothing, releases the lock, and the rerun applies it', async () => {
    writeFileSync(
      join(migrations, '0002_slow.sql'),
      '-- migrate:up\nCREATE TABLE slow_made (id int);\nSELECT pg_sleep(20);\n-- migrate:down\nDROP TABLE slow_made;\n',
    );
    const running = suite.migrations!.runMigration({ actor: 'fault-test' });
    await settle(
      () =>
        sql<{ n: number }>(
          url,
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()`,
        ),
      (rows) => rows[0]!.n > 0,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await server.stopServer!('fast');
    await server.startServer!();
    const result = await running;
    expect(result.success).toBe(false);
    expect(result.applied).not.toContain('0002_slow');
    const state = await settle(
      () => suite.migrations!.status().catch(() => undefined),
      (s) => s !== undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(state!.pending).toContain('0002_slow');
    expect(await sql(url, "SELECT to_regclass('slow_made') AS t")).toEqual([{ t: null }]);
    // The global lock went with the old server's session: the rerun takes it and applies the migration.
    writeFileSync(
      join(migrations, '0002_slow.sql'),
      '-- migrate:up\nCREATE TABLE slow_made (id int);\n-- migrate:down\nDROP TABLE slow_made;\n',
    );
    const rerun = await suite.migrations!.runMigration({ actor: 'fault-test' });
    expect(rerun.success, rerun.errorMessage).toBe(true);
    expect(rerun.applied).toEqual(['0002_slow']);
  });

  it('leaves no session behind: only the pool and the capacity writer lock while open, none after shutdown', async () => {
    // The capacity writer keeps its leader lock session by design (leadership: 'hold'); nothing else may linger.
    const open = await settle(
      () => sessionsByApplication(url),
      (s) =>
        Object.keys(s).every(
          (app) => app === 'voicehive-dbrs' || app.startsWith('voicehive-dbrs-lock:voicehive-capacity'),
        ),
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(
      Object.keys(open).filter(
        (app) => app !== 'voicehive-dbrs' && !app.startsWith('voicehive-dbrs-lock:voicehive-capacity'),
      ),
      JSON.stringify(open),
    ).toEqual([]);
    await suite.shutdown();
    const after = await settle(
      () => sessionsByApplication(url),
      (s) => Object.keys(s).length === 0,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    expect(after).toEqual({});
  });
});
