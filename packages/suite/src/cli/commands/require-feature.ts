import { DbrsError } from '@voicehive/db-core';
import type { FeatureName } from '../../components/feature.js';
import type { DatabaseReliabilitySuite } from '../../suite.js';
import type { CommandContext } from '../context.js';

/** The feature's instance, or a one-line error saying why it is not there and how to turn it on. */
export function requireFeature<T>(suite: DatabaseReliabilitySuite, name: FeatureName): T {
  const f = suite.features[name];
  const instance = suite[name];
  if (f.state === 'active' && instance) return instance as T;
  const enable: Record<FeatureName, string> = {
    performance: 'set PERFORMANCE_ENABLED=true',
    backup: 'set BACKUP_ENABLED=true and the storage settings',
    migrations: 'pass --dir or set MIGRATIONS_DIR to your migrations folder',
    capacity: 'set CAPACITY_ENABLED=true',
    pgbouncer: 'set PGBOUNCER_ENABLED=true',
  };
  // A feature that was configured but failed is not fixed by configuring it again: name the cause instead.
  const hint =
    f.state === 'failed'
      ? `${name} is configured but could not start; fix the cause named above and run the command again (--verbose shows the log).`
      : `To use it, ${enable[name]}.`;
  throw new DbrsError(
    f.state === 'disabled' ? 'CONFIG_INVALID' : 'UNSUPPORTED',
    `${name} is ${f.state.replace('_', ' ')}: ${f.reason ?? ''}`.trim(),
    { hint },
  );
}

/**
 * Opens the suite with only `name` switched on and returns it with the
 * feature. When the feature is not there the suite is shut down before the
 * error propagates: an open pool would keep the CLI process alive after it
 * printed the error (issue #11 item 4).
 */
export async function openFeature<T>(
  ctx: CommandContext,
  name: FeatureName,
  overrides: Parameters<CommandContext['openSuite']>[0] = {},
): Promise<{ suite: DatabaseReliabilitySuite; feature: T }> {
  const suite = await ctx.openSuite(overrides);
  try {
    return { suite, feature: requireFeature<T>(suite, name) };
  } catch (err) {
    await suite.shutdown();
    throw err;
  }
}

/** Only the feature a command needs is started: faster, and other features' problems do not block it. */
export const ONLY = {
  backup: { performanceEnabled: false, capacityEnabled: false, migrationsEnabled: false, pgbouncerEnabled: false },
  migrations: { performanceEnabled: false, capacityEnabled: false, backupEnabled: false, pgbouncerEnabled: false },
  performance: { capacityEnabled: false, backupEnabled: false, migrationsEnabled: false, pgbouncerEnabled: false },
  capacity: { performanceEnabled: false, backupEnabled: false, migrationsEnabled: false, pgbouncerEnabled: false },
} as const;
