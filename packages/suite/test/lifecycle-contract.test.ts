import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage } from '@voicehive/db-backup';
import { DatabaseCapacityManager } from '@voicehive/db-capacity';
import { createDatabase, LeaderLock } from '@voicehive/db-core';
import { DatabaseMigrationManager } from '@voicehive/db-migrations';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { useTestDatabase } from '@voicehive/db-testing';
import { describeResourceOwnerContract } from '@voicehive/db-testing/contracts';
import { afterAll, beforeAll } from 'vitest';
import { createDatabaseReliabilitySuite } from '../src/index.js';
import { scratchDir } from './support/suite-helpers.js';

// The one lifecycle contract (DESIGN.md §5.12), run against every resource owner.
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

describeResourceOwnerContract({
  name: 'DatabasePerformanceOptimizer',
  create: () => new DatabasePerformanceOptimizer(db.url),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.getPerformanceReport({ signal }),
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'DatabaseCapacityManager',
  create: () => new DatabaseCapacityManager(db.url),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.getCapacityDashboardData({ signal }),
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
  sessionsOf: () => db.url,
});

describeResourceOwnerContract({
  name: 'DatabaseMigrationManager',
  create: () => new DatabaseMigrationManager(db.url, { migrationsDir: dirs.migrations.path }),
  initialize: (o, signal) => o.initialize({ signal }),
  operate: (o, signal) => o.plan({ signal }),
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
