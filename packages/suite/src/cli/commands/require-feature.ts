import { DbrsError } from '@voicehive/db-core';
import type { FeatureName } from '../../components/feature.js';
import type { DatabaseReliabilitySuite } from '../../suite.js';

/** The feature's instance, or a one-line error saying why it is not there and how to turn it on. */
export function requireFeature<T>(suite: DatabaseReliabilitySuite, name: FeatureName): T {
  const f = suite.features[name];
  const instance = suite[name];
  if (f.state === 'active' && instance) return instance as T;
  const how: Record<FeatureName, string> = {
    performance: 'set PERFORMANCE_ENABLED=true',
    backup: 'set BACKUP_ENABLED=true and the storage settings',
    migrations: 'pass --dir or set MIGRATIONS_DIR to your migrations folder',
    capacity: 'set CAPACITY_ENABLED=true',
    pgbouncer: 'set PGBOUNCER_ENABLED=true',
  };
  throw new DbrsError(
    f.state === 'disabled' ? 'CONFIG_INVALID' : 'UNSUPPORTED',
    `${name} is ${f.state.replace('_', ' ')}: ${f.reason ?? ''}`.trim(),
    { hint: `To use it, ${how[name]}.` },
  );
}

/** Only the feature a command needs is started: faster, and other features' problems do not block it. */
export const ONLY = {
  backup: { performanceEnabled: false, capacityEnabled: false, migrationsEnabled: false, pgbouncerEnabled: false },
  migrations: { performanceEnabled: false, capacityEnabled: false, backupEnabled: false, pgbouncerEnabled: false },
  performance: { capacityEnabled: false, backupEnabled: false, migrationsEnabled: false, pgbouncerEnabled: false },
  capacity: { performanceEnabled: false, backupEnabled: false, migrationsEnabled: false, pgbouncerEnabled: false },
} as const;
