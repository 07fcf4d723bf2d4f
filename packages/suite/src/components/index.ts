import { backupFeature } from './backup.js';
import { capacityFeature } from './capacity.js';
import type { FeatureFactory, FeatureName } from './feature.js';
import { migrationsFeature } from './migrations.js';
import { performanceFeature } from './performance.js';
import { pgbouncerFeature } from './pgbouncer.js';

/**
 * How each feature is built. Every feature package is a dependency of the
 * suite, so every feature has a factory: the compiler checks this covers
 * FEATURES.
 */
export const FEATURE_FACTORIES: { readonly [N in FeatureName]: FeatureFactory<N> } = {
  performance: performanceFeature,
  backup: backupFeature,
  migrations: migrationsFeature,
  capacity: capacityFeature,
  pgbouncer: pgbouncerFeature,
};
