import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { DatabaseCapacityManager } from '@voicehive/db-capacity';
import type { DbrsConfig } from '@voicehive/db-core';
import type { DatabaseMigrationManager } from '@voicehive/db-migrations';
import type { DatabasePerformanceOptimizer, PgBouncerManager } from '@voicehive/db-performance';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type COMPONENT_NAMES,
  createDatabaseReliabilitySuite,
  type DatabaseReliabilitySuite,
  FEATURES,
  type FeatureName,
  type FlatSuiteConfig,
  type SuiteConfigInput,
} from '../src/index.js';

/*
 * Type tests, checked by `pnpm typecheck` (tsc includes test/): a wrong type
 * here is a compile error, so the facade cannot drift back to `unknown`.
 */

describe('the facade is typed by its packages', () => {
  it('exposes each feature as its package class, undefined when off', () => {
    expectTypeOf<DatabaseReliabilitySuite['backup']>().toEqualTypeOf<DatabaseBackupManager | undefined>();
    expectTypeOf<DatabaseReliabilitySuite['performance']>().toEqualTypeOf<DatabasePerformanceOptimizer | undefined>();
    expectTypeOf<DatabaseReliabilitySuite['migrations']>().toEqualTypeOf<DatabaseMigrationManager | undefined>();
    expectTypeOf<DatabaseReliabilitySuite['capacity']>().toEqualTypeOf<DatabaseCapacityManager | undefined>();
    expectTypeOf<DatabaseReliabilitySuite['pgbouncer']>().toEqualTypeOf<PgBouncerManager | undefined>();
  });

  it('has one feature list, and the status components are the database plus it', () => {
    expectTypeOf(FEATURES).toEqualTypeOf<readonly ['performance', 'backup', 'migrations', 'capacity', 'pgbouncer']>();
    expectTypeOf<FeatureName>().toEqualTypeOf<(typeof FEATURES)[number]>();
    expectTypeOf<(typeof COMPONENT_NAMES)[number]>().toEqualTypeOf<'database' | FeatureName>();
    expectTypeOf<keyof DatabaseReliabilitySuite['features']>().toEqualTypeOf<FeatureName>();
  });

  it("takes the original's flat keys, typed by core's model, and returns the model", () => {
    expectTypeOf<FlatSuiteConfig['poolMaxSize']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<FlatSuiteConfig['storageType']>().toEqualTypeOf<'local' | 's3' | 'azure' | 'gcs' | undefined>();
    expectTypeOf<FlatSuiteConfig['sslMode']>().toEqualTypeOf<
      'disable' | 'require' | 'verify-ca' | 'verify-full' | undefined
    >();
    expectTypeOf<DatabaseReliabilitySuite['config']>().toEqualTypeOf<DbrsConfig>();
    expectTypeOf<{
      poolMaxSize: 20;
      storageType: 's3';
      backupS3Bucket: 'my-backups';
    }>().toMatchTypeOf<SuiteConfigInput>();
    expectTypeOf<{ poolMaxSize: '20' }>().not.toMatchTypeOf<SuiteConfigInput>();
    expectTypeOf(createDatabaseReliabilitySuite).returns.resolves.toEqualTypeOf<DatabaseReliabilitySuite>();
  });
});
