import { isDbrsError, redactString } from '@voicehive/db-core';
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
      let snapshot: Awaited<ReturnType<PgBouncerManager['readStats']>>;
      try {
        snapshot = await manager.readStats({ signal });
      } catch (err) {
        // Aborts and timeouts are the suite's own bound; let it report them.
        if (!isDbrsError(err, 'PGBOUNCER_FAILED')) throw err;
        const reason = redactString(err.message);
        return {
          status: 'unhealthy',
          message: `pgBouncer admin console unreachable at ${b.host}:${b.port}`,
          details: { host: b.host, port: b.port, adminUser: b.adminUser, reachable: false },
          issues: [
            {
              severity: 'critical',
              component: 'pgbouncer',
              message: reason,
              action: `Check that pgBouncer runs and listens on ${b.host}:${b.port} (PGBOUNCER_HOST, PGBOUNCER_PORT), that "${b.adminUser}" is in its admin_users or stats_users (PGBOUNCER_ADMIN_USER) with the right PGBOUNCER_ADMIN_PASSWORD; or set PGBOUNCER_ENABLED=false if this service does not use pgBouncer.`,
            },
          ],
        };
      }
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
        details: {
          host: b.host,
          port: b.port,
          reachable: true,
          poolCount: snapshot.pools.length,
          waiting,
          maxwaitSeconds: maxwait,
          clients: snapshot.clients.total,
          pools: snapshot.pools.map((p) => ({
            database: p.database,
            user: p.user,
            poolMode: p.poolMode,
            clientsActive: p.clActive,
            clientsWaiting: p.clWaiting,
            serversActive: p.svActive,
            serversIdle: p.svIdle,
            maxwaitSeconds: p.maxwaitSeconds,
            poolSize: snapshot.poolSizes[p.database],
          })),
        },
        issues,
      };
    },
    tasks: () => [],
    close: () => manager.close(),
  };
  return { component };
};
