import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DbrsError, isDbrsError } from '@voicehive/db-core';
import { DatabaseMigrationManager, type DatabaseMigrationManagerOptions } from '@voicehive/db-migrations';
import { exportMigrationState } from '../metrics/migrations-state.js';
import type { StatusIssue } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';
import { stateLocation } from './state-schema.js';

/**
 * The migration manager's options from the `migrations` section. Every key
 * is destructured and consumed; an unconsumed one is a compile error.
 */
export function migrationsManagerOptions(
  ctx: Pick<FeatureContext, 'config' | 'logger' | 'metrics' | 'audit'>,
): DatabaseMigrationManagerOptions {
  const {
    enabled: _builtWhenEnabled,
    migrationsDir,
    tableName,
    schema,
    lockTimeoutMs,
    statementTimeoutMs,
    testFirst,
    allowOutOfOrder,
    lint,
    ...unconsumed
  } = ctx.config.migrations;
  unconsumed satisfies Record<string, never>;
  const { enabledRules, disabledRules, namingPattern, ...lintUnconsumed } = lint;
  lintUnconsumed satisfies Record<string, never>;
  return {
    migrationsDir: resolve(migrationsDir),
    tableName,
    ...stateLocation(ctx.config, schema),
    lockTimeoutMs,
    statementTimeoutMs,
    testFirst,
    allowOutOfOrder,
    lint: {
      enabledRules: [...enabledRules],
      disabledRules: [...disabledRules],
      ...(namingPattern ? { namingPattern } : {}),
    },
    logger: ctx.logger,
    metrics: ctx.metrics,
    audit: ctx.audit,
  };
}

/** Migrations are applied by deploys (`dbrs migrate up`), not by the maintenance cycle; the suite reports their state. */
export const migrationsFeature = (ctx: FeatureContext): FeatureFactoryResult<'migrations'> => {
  const m = ctx.config.migrations;
  const dir = resolve(m.migrationsDir);
  if (!existsSync(dir))
    return {
      unavailable: `No migrations directory at ${dir}; set migrationsDir (MIGRATIONS_DIR) to enable migration status.`,
    };
  const manager = newManager(ctx.database, migrationsManagerOptions(ctx));
  const component: FeatureComponent<'migrations'> = {
    name: 'migrations',
    instance: manager,
    initialize: (signal) => manager.initialize({ signal }),
    async status(): Promise<FeatureStatus> {
      const s = await manager.status();
      const issues: StatusIssue[] = [];
      if (s.pending.length > 0) {
        issues.push({
          severity: 'info',
          component: 'migrations',
          message: `${s.pending.length} pending migration(s): ${s.pending.slice(0, 5).join(', ')}${s.pending.length > 5 ? ', …' : ''}`,
          action: 'Run `dbrs migrate test` then `dbrs migrate up` in the deploy (`dbrs migrate status` lists them).',
        });
      }
      // A changed or vanished applied file blocks `migrate up` (the runner refuses), so these are warnings, not info.
      for (const name of s.checksumMismatches) {
        issues.push({
          severity: 'warning',
          component: 'migrations',
          message: `Applied migration ${name} was changed after it ran; \`dbrs migrate up\` refuses to run until this is resolved.`,
          action: `Run \`dbrs migrate status\` to see every changed file, then restore it from version control (schema changes belong in a new migration), or accept a deliberate, harmless edit with \`dbrs migrate repair ${name} --yes\`.`,
        });
      }
      for (const name of s.missingFiles) {
        issues.push({
          severity: 'warning',
          component: 'migrations',
          message: `Applied migration ${name} has no file any more.`,
          action: 'Run `dbrs migrate status`, then restore the file from version control.',
        });
      }
      if (s.outOfOrder.length > 0 && !m.allowOutOfOrder) {
        issues.push({
          severity: 'warning',
          component: 'migrations',
          message: `Pending migration(s) ${s.outOfOrder.join(', ')} sort before the last applied one; \`dbrs migrate up\` refuses them.`,
          action: 'Rename them to sort after the applied ones, or set allowOutOfOrder if applying them late is safe.',
        });
      }
      return {
        status:
          s.checksumMismatches.length || s.missingFiles.length || (s.outOfOrder.length && !m.allowOutOfOrder)
            ? 'degraded'
            : 'healthy',
        message: `current ${s.current ?? '(none)'}, ${s.applied.length} applied, ${s.pending.length} pending${s.checksumMismatches.length ? `, ${s.checksumMismatches.length} changed` : ''}${s.missingFiles.length ? `, ${s.missingFiles.length} missing` : ''}`,
        details: {
          current: s.current,
          applied: s.applied.length,
          pending: s.pending.length,
          pendingMigrations: s.pending,
          checksumMismatches: s.checksumMismatches,
          missingFiles: s.missingFiles,
          outOfOrder: s.outOfOrder,
        },
        issues,
      };
    },
    tasks: () => [],
    durableMetrics: () => exportMigrationState({ manager, metrics: ctx.metrics, audit: ctx.audit }),
    close: () => manager.close(),
  };
  return { component };
};

/**
 * The manager checks lint rule ids against the linter's own list; a typo is
 * CONFIG_INVALID, which the suite rethrows instead of marking the feature
 * failed. Here it only gains the config section it came from.
 */
function newManager(
  database: FeatureContext['database'],
  options: DatabaseMigrationManagerOptions,
): DatabaseMigrationManager {
  try {
    return new DatabaseMigrationManager(database, options);
  } catch (err) {
    if (!isDbrsError(err, 'CONFIG_INVALID')) throw err;
    throw new DbrsError('CONFIG_INVALID', `Invalid migrations configuration (migrations.*): ${err.message}`, {
      cause: err,
      details: { ...err.details },
    });
  }
}
