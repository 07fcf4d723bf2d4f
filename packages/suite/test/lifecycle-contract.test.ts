import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage } from '@voicehive/db-backup';
import { DatabaseCapacityManager } from '@voicehive/db-capacity';
import { createDatabase, LeaderLock, Scheduler } from '@voicehive/db-core';
import { DatabaseMigrationManager } from '@voicehive/db-migrations';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { useTestDatabase } from '@voicehive/db-testing';
import { describeResourceOwnerContract, sessionWaitsOnLock } from '@voicehive/db-testing/contracts';
import { afterAll, beforeAll } from 'vitest';
import { createDatabaseReliabilitySuite } from '../src/index.js';
import { scratchDir } from './support/suite-helpers.js';

// The one lifecycle contract (the lifecycle rule in packages/core/README.md), run against every resource owner.
const db = useTestDatabase({ beforeAll, afterAll });
const dirs = { backups: scratchDir('dbrs-contract-backups-'), migrations: scratchDir('dbrs-contract-migrations-') };
writeFileSync(
  join(dirs.migrations.path, '0001_t.sql'),
  '-- migrate:up\nCREATE TABLE t (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE t;\n',
);
afterAll(() => {
  dirs.backups.remove();
  dirs.migrations.remove();
});

// A table the workload queries (so the advisor has a statement to plan) and that the blockers lock.
beforeAll(async () => {
  const database = createDatabase(db.url, { poolMax: 1 });
  try {
    await database.query(
      `CREATE TABLE hot AS SELECT g::bigint AS id, g % 1000 AS k, md5(g::text) AS v FROM generate_series(1, 20000) g`,
    );
    await database.query('ANALYZE hot');
    // On the bare pool: the Database tags its own statements, and the report leaves tagged ones out.
    for (let i = 0; i < 5; i++) await database.pool.query('SELECT id, v FROM hot WHERE k = $1', [i]);
  } finally {
    await database.close();
  }
});

/**
 * Holds ACCESS EXCLUSIVE on `table` in an open transaction of another session until the returned release is
 * called: anything of the owner that reads the table, plans a statement on it or sizes it then waits.
 */
async function holdTableLock(table: string): Promise<() => Promise<void>> {
  const database = createDatabase(db.url, { poolMax: 1 });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holding = database.withClient(async (client) => {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    locked();
    await released;
    await client.query('ROLLBACK');
  });
  await Promise.race([isLocked, holding]);
  return async () => {
    release();
    await holding;
    await database.close();
  };
}

describeResourceOwnerContract({
  name: 'DatabasePerformanceOptimizer',
  create: () => new DatabasePerformanceOptimizer(db.url),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.getPerformanceReport({ signal }),
  // Issue #13 §2's leak: the abort lands while the advisor's own planning session (a dedicated pg.Client)
  // waits to plan the workload's statement on the locked table; nothing may be left once it is closed.
  block: () => holdTableLock('hot'),
  reached: () => sessionWaitsOnLock(db.url, 'voicehive-dbrs-advisor'),
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'DatabaseCapacityManager',
  create: () => new DatabaseCapacityManager(db.url),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.getCapacityDashboardData({ signal }),
  // The collector sizes the largest tables (pg_total_relation_size waits for the lock).
  block: () => holdTableLock('hot'),
  reached: () => sessionWaitsOnLock(db.url),
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'DatabaseBackupManager',
  create: () =>
    new DatabaseBackupManager(db.url, {
      storage: new LocalStorage({ path: dirs.backups.path }),
      encryptionKey: 'contract-passphrase-0123456789',
    }),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.listBackups({ signal }),
  // A backup: pg_dump (a child process) and the snapshot session both wait for the locked table.
  abortable: (o, signal) => o.createBackup(undefined, { signal }),
  block: () => holdTableLock('hot'),
  reached: () => sessionWaitsOnLock(db.url),
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'DatabaseMigrationManager',
  create: () => new DatabaseMigrationManager(db.url, { migrationsDir: dirs.migrations.path }),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.plan({ signal }),
  // The read of the migration log waits for the locked log table (created by a first run).
  block: async () => {
    const runner = new DatabaseMigrationManager(db.url, { migrationsDir: dirs.migrations.path });
    try {
      const run = await runner.runMigration();
      if (!run.success) throw run.error;
    } finally {
      await runner.close();
    }
    return holdTableLock('dbrs.dbrs_migrations');
  },
  reached: () => sessionWaitsOnLock(db.url),
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'DatabaseReliabilitySuite',
  create: () =>
    createDatabaseReliabilitySuite(db.url, {
      poolMinSize: 1,
      poolMaxSize: 3,
      storageType: 'local',
      backupLocalPath: dirs.backups.path,
      backupEncryptionKey: 'contract-passphrase-0123456789',
      migrationsDir: dirs.migrations.path,
      logLevel: 'silent',
    }),
  operate: (o, signal) => o.getComprehensiveStatus({ signal }),
  // The capacity component's collector waits to size the locked table while the others report.
  block: () => holdTableLock('hot'),
  reached: () => sessionWaitsOnLock(db.url),
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'LeaderLock',
  create: () => {
    const database = createDatabase(db.url, { poolMax: 2 });
    const lock = new LeaderLock(database, { name: 'contract' });
    // The lock does not own the pool it was given; the target closes both.
    return Object.assign(lock, {
      async close() {
        await LeaderLock.prototype.close.call(lock);
        await database.close();
      },
    });
  },
  operate: async (o, signal) => {
    if (!(await o.acquire({ signal, timeoutMs: 30_000 }))) throw new Error('lock not acquired');
    await o.release();
  },
  // Another holder of the same lock: acquire() then polls until aborted.
  block: async () => {
    const database = createDatabase(db.url, { poolMax: 2 });
    const other = new LeaderLock(database, { name: 'contract' });
    await other.acquire();
    return async () => {
      await other.close();
      await database.close();
    };
  },
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'Scheduler',
  create: () => {
    const database = createDatabase(db.url, { poolMax: 2 });
    const scheduler = new Scheduler();
    // An hourly task that reads the table the blocker locks; runNow() is the operation.
    scheduler.add({
      name: 'probe',
      intervalMs: 3_600_000,
      run: ({ signal }) => database.query('SELECT count(*) FROM hot', [], { signal }),
    });
    scheduler.start();
    // The scheduler does not own the pool its task uses; the target closes both.
    return Object.assign(scheduler, {
      async close() {
        await Scheduler.prototype.close.call(scheduler);
        await database.close();
      },
    });
  },
  operate: async (o, signal) => {
    const run = await o.runNow('probe', { ...(signal ? { signal } : {}) });
    if (run.outcome !== 'completed') throw run.error ?? new Error(`probe ${run.outcome}`);
  },
  block: () => holdTableLock('hot'),
  reached: () => sessionWaitsOnLock(db.url),
  sessionsOf: () => db.url,
});
