import { createServer } from 'node:net';
import { createDatabase } from '@voicehive/db-core';
import {
  findPgBouncer,
  type PgBouncerHandle,
  requireComponent,
  startPgBouncer,
  useTestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, startServer } from '../src/index.js';
import { scratchDir } from './support/suite-helpers.js';

/** Configured as the admin password; must never reach a response. pgBouncer trusts, so it is sent but not checked. */
const ADMIN_PASSWORD = 'pgb-admin-Pa55-planted-7f3a';
const API_KEY = 'pgbouncer-test-key-0123456789';

interface PoolDetail {
  database: string;
  user: string;
  clientsActive: number;
  clientsWaiting: number;
  poolSize?: number;
}

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const hasPgBouncer = requireComponent('pgbouncer', findPgBouncer() !== undefined);

describe.skipIf(!hasPgBouncer)('pgBouncer status against a running pgBouncer', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const backups = scratchDir('dbrs-pgbouncer-');
  let pgb: PgBouncerHandle;
  let suite: DatabaseReliabilitySuite;

  const config = (port: number) => ({
    poolMinSize: 1,
    poolMaxSize: 3,
    storageType: 'local' as const,
    backupLocalPath: backups.path,
    pgbouncerEnabled: true,
    pgbouncerHost: '127.0.0.1',
    pgbouncerPort: port,
    pgbouncerAdminUser: 'postgres',
    pgbouncerAdminPassword: ADMIN_PASSWORD,
    apiKey: API_KEY,
    logLevel: 'silent',
  });

  beforeAll(async () => {
    pgb = await startPgBouncer({ postgresPort: db.server.port, defaultPoolSize: 7 });
    suite = await createDatabaseReliabilitySuite(db.url, config(pgb.port));
  });
  afterAll(async () => {
    await suite?.shutdown();
    await pgb?.stop();
    backups.remove();
  });

  it('reports the pools of the live pgBouncer, including one the application is using', async () => {
    expect(suite.features.pgbouncer.state).toBe('active');
    // An application connection through the pooler, held open while the status is read.
    await using app = createDatabase(pgb.url(db.database.name), { poolMax: 1 });
    await app.withClient(async (client) => {
      await client.query('SELECT 1');
      const status = await suite.getComprehensiveStatus();
      const component = status.components.pgbouncer;
      expect(component.status, component.message).toBe('healthy');
      expect(component.details?.['reachable']).toBe(true);
      const pools = component.details?.['pools'] as PoolDetail[];
      const appPool = pools.find((p) => p.database === db.database.name && p.user === 'postgres');
      expect(appPool, JSON.stringify(pools)).toBeDefined();
      expect(appPool!.clientsActive).toBeGreaterThanOrEqual(1);
      expect(appPool!.clientsWaiting).toBe(0);
      expect(appPool!.poolSize).toBe(7);
      expect(component.details?.['poolCount']).toBe(pools.length);
      expect(component.message).toContain(`${pools.length} pools`);
      expect(status.issues.filter((i) => i.component === 'pgbouncer' && i.severity === 'critical')).toEqual([]);
    });
  });

  it('never shows the admin password in the JSON status, the page data or the served page', async () => {
    const status = await suite.getComprehensiveStatus();
    expect(JSON.stringify(status)).not.toContain(ADMIN_PASSWORD);
    expect(JSON.stringify(await suite.getStatusPageData())).not.toContain(ADMIN_PASSWORD);
    const server = await startServer(suite, { port: 0, apiKey: API_KEY });
    try {
      const headers = { authorization: `Bearer ${API_KEY}` };
      const json = await fetch(`${server.url}/status`, { headers });
      const jsonText = await json.text();
      expect(jsonText).toContain('"pgbouncer"');
      expect(jsonText).not.toContain(ADMIN_PASSWORD);
      const page = await fetch(`${server.url}/`, { headers });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('pgbouncer');
      expect(html).not.toContain(ADMIN_PASSWORD);
      expect(await (await fetch(`${server.url}/metrics`)).text()).not.toContain(ADMIN_PASSWORD);
    } finally {
      await server.close();
    }
  });

  it('reports an unreachable pgBouncer as an issue with an action while the rest of the status completes', async () => {
    await using down = await createDatabaseReliabilitySuite(db.url, config(await closedPort()));
    expect(down.features.pgbouncer.state).toBe('active');
    const status = await down.getComprehensiveStatus();
    const component = status.components.pgbouncer;
    expect(component.status).toBe('unhealthy');
    expect(component.details?.['reachable']).toBe(false);
    const issue = status.issues.find((i) => i.component === 'pgbouncer');
    expect(issue?.severity).toBe('critical');
    expect(issue?.message).toContain('PgBouncer admin console');
    expect(issue?.action).toContain('PGBOUNCER_HOST');
    expect(issue?.action).toContain('PGBOUNCER_ENABLED=false');
    // The database is fine, so an unreachable pooler degrades the whole but does not make it unhealthy.
    expect(status.overallHealth).toBe('degraded');
    expect(status.components.database.status).toBe('healthy');
    expect(status.components.capacity.status).toBe('healthy');
    expect(['healthy', 'degraded']).toContain(status.components.performance.status);
    expect(status.components.backup.status).toBe('degraded'); // no backup yet, but read
    expect(JSON.stringify(status)).not.toContain(ADMIN_PASSWORD);
  });
});
