import type { BackupResult, DatabaseBackupManager } from '@voicehive/db-backup';
import type { CapacityDashboardData, DatabaseCapacityManager } from '@voicehive/db-capacity';
import { type Database, type DbrsConfig, libpqEnv, loadConfig, type TlsSettings } from '@voicehive/db-core';
import type { DatabaseMigrationManager, RunMigrationResult } from '@voicehive/db-migrations';
import type { DatabasePerformanceOptimizer, PerformanceReport } from '@voicehive/db-performance';
import { describe, expectTypeOf, it } from 'vitest';

/* The original's API on each package's main entry (checked by `pnpm typecheck`). */

describe("each package's main entry", () => {
  it('core: loadConfig returns the one model; a Database carries its TLS; libpqEnv builds a child env', () => {
    expectTypeOf(loadConfig).returns.toEqualTypeOf<DbrsConfig>();
    expectTypeOf<Database['tls']>().toEqualTypeOf<TlsSettings>();
    expectTypeOf(libpqEnv).returns.toEqualTypeOf<NodeJS.ProcessEnv>();
  });

  it('performance: getPerformanceReport resolves to a PerformanceReport with index recommendations', () => {
    expectTypeOf<
      DatabasePerformanceOptimizer['getPerformanceReport']
    >().returns.resolves.toEqualTypeOf<PerformanceReport>();
    expectTypeOf<PerformanceReport['indexRecommendations'][number]['priority']>().toEqualTypeOf<1 | 2 | 3>();
  });

  it('backup: createBackup resolves to a BackupResult with a backupId', () => {
    expectTypeOf<DatabaseBackupManager['createBackup']>().returns.resolves.toEqualTypeOf<BackupResult>();
    expectTypeOf<BackupResult['backupId']>().toEqualTypeOf<string>();
  });

  it('migrations: runMigration resolves to a RunMigrationResult with success', () => {
    expectTypeOf<DatabaseMigrationManager['runMigration']>().returns.resolves.toEqualTypeOf<RunMigrationResult>();
    expectTypeOf<RunMigrationResult['success']>().toEqualTypeOf<boolean>();
  });

  it('capacity: getCapacityDashboardData resolves to dashboard data whose alerts are warning|critical', () => {
    expectTypeOf<
      DatabaseCapacityManager['getCapacityDashboardData']
    >().returns.resolves.toEqualTypeOf<CapacityDashboardData>();
    expectTypeOf<CapacityDashboardData['alerts'][number]['type']>().toEqualTypeOf<'warning' | 'critical'>();
  });
});
