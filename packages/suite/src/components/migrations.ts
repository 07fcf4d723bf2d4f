import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseMigrationManager } from '@voicehive/db-migrations';
import type { StatusIssue } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';

/** Migrations are applied by deploys (`dbrs migrate up`), not by the maintenance cycle; the suite reports their state. */
export const migrationsFeature = (ctx: FeatureContext): FeatureFactoryResult => {
  const m = ctx.config.migrations;
  const dir = resolve(m.migrationsDir);
  if (!existsSync(dir))
    return {
      unavailable: `No migrations directory at ${dir}; set migrationsDir (MIGRATIONS_DIR) to enable migration status.`,
    };
  const manager = new DatabaseMigrationManager(ctx.database, {
    migrationsDir: dir,
    tableName: m.tableName,
    schema: m.schema,
    lockTimeoutMs: m.lockTimeoutMs,
    statementTimeoutMs: m.statementTimeoutMs,
    testFirst: m.testFirst,
    allowOutOfOrder: m.allowOutOfOrder,
    logger: ctx.logger,
    metrics: ctx.metrics,
    audit: ctx.audit,
  });
  const component: FeatureComponent = {
    name: 'migrations',
    instance: manager,
    initialize: () => manager.initialize(),
    async status(): Promise<FeatureStatus> {
      const s = await manager.status();
      const issues: StatusIssue[] = [];
      if (s.pending.length > 0) {
        issues.push({
          severity: 'info',
          component: 'migrations',
          message: `${s.pending.length} pending migration(s): ${s.pending.slice(0, 5).join(', ')}`,
          action: 'Run `dbrs migrate test` then `dbrs migrate up` in the deploy.',
        });
      }
      for (const name of s.checksumMismatches) {
        issues.push({
          severity: 'warning',
          component: 'migrations',
          message: `Applied migration ${name} was changed after it ran.`,
          action: 'Restore the file, or accept the change on purpose with repair().',
        });
      }
      for (const name of s.missingFiles) {
        issues.push({
          severity: 'warning',
          component: 'migrations',
          message: `Applied migration ${name} has no file any more.`,
          action: 'Restore the file from version control.',
        });
      }
      return {
        status: s.checksumMismatches.length || s.missingFiles.length ? 'degraded' : 'healthy',
        message: `current ${s.current ?? '(none)'}, ${s.applied.length} applied, ${s.pending.length} pending`,
        details: { current: s.current, applied: s.applied.length, pending: s.pending.length },
        issues,
      };
    },
    tasks: () => [],
    close: () => manager.close(),
  };
  return { component };
};
