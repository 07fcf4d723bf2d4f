import { PgBouncerManager } from '@voicehive/db-performance';
import type { StatusIssue } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';

/**
 * Reads an existing pgBouncer's admin console (SHOW POOLS/STATS) into the
 * status and metrics. The suite never starts pgBouncer itself; use
 * PgBouncerManager from @voicehive/db-performance (or `dbrs pgbouncer config`) for that.
 */
export const pgbouncerFeature = (ctx: FeatureContext): FeatureFactoryResult => {
  const b = ctx.config.pgbouncer;
  const auth = b.adminPassword
    ? `${encodeURIComponent(b.adminUser)}:${encodeURIComponent(b.adminPassword)}`
    : encodeURIComponent(b.adminUser);
  const manager = new PgBouncerManager({
    config: {
      databases: [{ name: ctx.database.info.database, host: ctx.database.info.host, port: ctx.database.info.port }],
      users: [{ name: b.adminUser, ...(b.adminPassword ? { password: b.adminPassword } : {}) }],
      listenAddr: b.host,
      listenPort: b.port,
      overrides: { poolMode: b.poolMode, defaultPoolSize: b.defaultPoolSize, maxClientConn: b.maxClientConn },
    },
    enabled: false,
    adminUrl: `postgres://${auth}@${b.host}:${b.port}/pgbouncer`,
    logger: ctx.logger,
    metrics: ctx.metrics,
  });
  const component: FeatureComponent = {
    name: 'pgbouncer',
    instance: manager,
    initialize: async () => {},
    async status(signal): Promise<FeatureStatus> {
      const snapshot = await manager.readStats({ signal });
      const waiting = snapshot.pools.reduce((n, p) => n + p.clWaiting, 0);
      const maxwait = Math.max(0, ...snapshot.pools.map((p) => p.maxwaitSeconds));
      const issues: StatusIssue[] = manager
        .advise(snapshot)
        .filter((a) => a.action !== 'keep')
        .map((a) => ({
          severity: a.action === 'increase' ? 'warning' : 'info',
          component: 'pgbouncer',
          message: `Pool ${a.database}/${a.user}: ${a.reason}`,
          action: `Set the pool size from ${a.currentPoolSize} to ${a.suggestedPoolSize} (\`dbrs pgbouncer config\`).`,
        }));
      return {
        status: waiting > 0 && maxwait >= 1 ? 'degraded' : 'healthy',
        message: `${snapshot.pools.length} pools, ${waiting} clients waiting${maxwait ? `, max wait ${maxwait.toFixed(1)} s` : ''}`,
        details: { pools: snapshot.pools.length, waiting, maxwaitSeconds: maxwait, clients: snapshot.clients.total },
        issues,
      };
    },
    tasks: () => [],
    close: () => manager.close(),
  };
  return { component };
};
