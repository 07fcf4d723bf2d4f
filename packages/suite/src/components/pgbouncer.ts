import { isDbrsError, redactString, type TlsSettings } from '@voicehive/db-core';
import { PgBouncerManager, type PgBouncerManagerOptions } from '@voicehive/db-performance';
import type { StatusIssue } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';

/**
 * Reads an existing pgBouncer's admin console (SHOW POOLS/STATS) into the
 * status and metrics. The suite never starts pgBouncer itself; use
 * PgBouncerManager from @voicehive/db-performance (or `dbrs pgbouncer config`) for that.
 */
/**
 * PgBouncerManager options from the `pgbouncer` section: every key is
 * consumed here (an unconsumed one is a compile error). `enabled` chooses
 * whether the feature is built at all (suite.ts).
 */
export function pgbouncerManagerOptions(ctx: Pick<FeatureContext, 'config' | 'database' | 'logger' | 'metrics'>) {
  const {
    enabled: _builtWhenEnabled,
    host,
    port,
    poolMode,
    maxClientConn,
    defaultPoolSize,
    adminUser,
    adminPassword,
    configPath,
    binary,
    sslMode,
    sslCaFile,
    ...unconsumed
  } = ctx.config.pgbouncer;
  unconsumed satisfies Record<string, never>;
  const auth = adminPassword
    ? `${encodeURIComponent(adminUser)}:${encodeURIComponent(adminPassword)}`
    : encodeURIComponent(adminUser);
  // Unset: the database's own TLS, so the admin password never crosses in plain text where the database would not.
  const adminTls: TlsSettings =
    sslMode === undefined
      ? { mode: ctx.database.tls.mode, ...(ctx.database.tls.caFile ? { caFile: ctx.database.tls.caFile } : {}) }
      : {
          mode: sslMode,
          ...((sslCaFile ?? ctx.database.tls.caFile) ? { caFile: sslCaFile ?? ctx.database.tls.caFile } : {}),
        };
  return {
    config: {
      databases: [{ name: ctx.database.info.database, host: ctx.database.info.host, port: ctx.database.info.port }],
      users: [{ name: adminUser, ...(adminPassword ? { password: adminPassword } : {}) }],
      listenAddr: host,
      listenPort: port,
      overrides: { poolMode, defaultPoolSize, maxClientConn },
    },
    enabled: false,
    adminUrl: `postgres://${auth}@${host}:${port}/pgbouncer`,
    adminTls,
    ...(configPath ? { configPath } : {}),
    binary,
    logger: ctx.logger,
    metrics: ctx.metrics,
  } satisfies PgBouncerManagerOptions;
}

export const pgbouncerFeature = (ctx: FeatureContext): FeatureFactoryResult<'pgbouncer'> => {
  const b = ctx.config.pgbouncer;
  const manager = new PgBouncerManager(pgbouncerManagerOptions(ctx));
  const component: FeatureComponent<'pgbouncer'> = {
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
