import { backupFeature } from './backup.js';
import { capacityFeature } from './capacity.js';
import type { FeatureFactory, FeatureName } from './feature.js';
import { migrationsFeature } from './migrations.js';
import { performanceFeature } from './performance.js';
import { pgbouncerFeature } from './pgbouncer.js';

/**
 * Feature packages wired into this build. A package missing here is
 * reported as `not_available` in the status, never faked.
 */
export const FEATURE_FACTORIES: Partial<Record<FeatureName, FeatureFactory>> = {
  backup: backupFeature,
  capacity: capacityFeature,
  performance: performanceFeature,
  pgbouncer: pgbouncerFeature,
  migrations: migrationsFeature,
};

export const NOT_WIRED_REASON: Record<FeatureName, string> = {
  performance: '@voicehive/db-performance is not wired into this build of the suite.',
  backup: '@voicehive/db-backup is not wired into this build of the suite.',
  migrations: '@voicehive/db-migrations is not wired into this build of the suite.',
  capacity: '@voicehive/db-capacity is not wired into this build of the suite.',
  pgbouncer:
    'pgBouncer management (@voicehive/db-performance PgBouncerManager) is not wired into this build of the suite.',
};
