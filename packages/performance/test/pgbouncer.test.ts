import { createServer } from 'node:net';
import { createMetrics } from '@voicehive/db-core';
import { findPgBouncer, getSharedPostgres, requireComponent, startPgBouncer } from '@voicehive/db-testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  advisePoolSizes,
  PGBOUNCER_PROFILES,
  PgBouncerManager,
  parseIniSection,
  readPgBouncerAdmin,
  renderPgBouncerConfig,
} from '../src/index.js';

const hasPgBouncer = requireComponent('pgbouncer', findPgBouncer() !== undefined);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('pgbouncer.ini rendering', () => {
  const base = {
    databases: [{ name: 'voicehive', host: 'db.internal', port: 5432 }],
    users: [{ name: 'app', password: 's3cret-pw' }],
  };

  it('renders the OLTP and analytics profiles of the original system', () => {
    const oltp = renderPgBouncerConfig(base);
    const s = parseIniSection(oltp.ini, 'pgbouncer');
    expect(s).toMatchObject({
      pool_mode: 'transaction',
      default_pool_size: '25',
      max_client_conn: '1000',
      auth_type: 'scram-sha-256',
    });
    expect(parseIniSection(oltp.ini, 'databases')).toEqual({
      voicehive: 'host=db.internal port=5432 dbname=voicehive',
    });
    const analytics = parseIniSection(renderPgBouncerConfig({ ...base, profile: 'analytics' }).ini, 'pgbouncer');
    expect(analytics).toMatchObject({ pool_mode: 'session', default_pool_size: '10', max_client_conn: '100' });
    expect(PGBOUNCER_PROFILES.oltp.defaultPoolSize).toBe(25);
    // The password goes only to the userlist, quoted.
    expect(oltp.ini).not.toContain('s3cret-pw');
    expect(oltp.userlist).toBe('"app" "s3cret-pw"\n');
    expect(oltp.maxServerConnections).toBe(30);
  });

  it('rejects configurations that cannot work, saying what to change', () => {
    const bad = (input: Parameters<typeof renderPgBouncerConfig>[0]) => {
      try {
        renderPgBouncerConfig(input);
      } catch (err) {
        return err as { code: string; message: string };
      }
      throw new Error('expected a failure');
    };
    expect(bad({ ...base, serverMaxConnections: 20 })).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/30 server connections.*allows 20.*Lower pool sizes/),
    });
    expect(bad({ ...base, databases: [{ name: 'x y', host: 'h' }] }).message).toMatch(/database name/);
    expect(bad({ ...base, overrides: { defaultPoolSize: 0 } }).message).toMatch(/defaultPoolSize/);
    expect(bad({ ...base, users: [{ name: 'app' }] }).message).toMatch(/no password/);
    expect(bad({ ...base, databases: [{ name: 'ok', host: 'h;evil' }] }).message).toMatch(/host/);
    expect(bad({ ...base, overrides: { poolMode: 'weird' as 'session' } }).message).toMatch(/poolMode/);
    const secret = bad({ ...base, users: [{ name: 'app', password: 'line\nbreak' }] });
    expect(secret.message).not.toContain('line\nbreak');
  });
});

describe('pgBouncer against a running server', () => {
  it.skipIf(!hasPgBouncer)(
    'reads SHOW POOLS / STATS under load, advises a bigger pool and exports metrics',
    async () => {
      const server = await getSharedPostgres();
      const bouncer = await startPgBouncer({ postgresPort: server.port, poolMode: 'transaction', defaultPoolSize: 2 });
      const clients: pg.Client[] = [];
      try {
        for (let i = 0; i < 6; i++) {
          const c = new pg.Client({ connectionString: bouncer.url('postgres') });
          await c.connect();
          clients.push(c);
        }
        const load = Promise.all(clients.map((c) => c.query('SELECT pg_sleep(0.6)')));
        // Handled now: it may reject while the test awaits the admin console below; `await load` still throws.
        load.catch(() => {});
        const busy = await until(async () => {
          const snap = await readPgBouncerAdmin(bouncer.adminUrl);
          const pool = snap.pools.find((p) => p.database === 'postgres');
          return pool && pool.clWaiting > 0 ? snap : undefined;
        });
        await load;
        const pool = busy.pools.find((p) => p.database === 'postgres')!;
        expect(pool.clWaiting).toBeGreaterThan(0);
        expect(pool.svActive).toBeLessThanOrEqual(2);
        expect(busy.config['pool_mode']).toBe('transaction');
        expect(busy.clients.total).toBeGreaterThanOrEqual(6);
        const advice = advisePoolSizes(busy).find((a) => a.database === 'postgres')!;
        expect(advice.action).toBe('increase');
        expect(advice.suggestedPoolSize).toBeGreaterThan(2);

        const metrics = createMetrics();
        const manager = new PgBouncerManager({
          config: {
            databases: [{ name: 'postgres', host: '127.0.0.1', port: server.port }],
            users: [{ name: 'postgres' }],
            authType: 'trust',
          },
          adminUrl: bouncer.adminUrl,
          metrics,
          enabled: false,
        });
        const after = await manager.readStats();
        expect(after.stats.find((s) => s.database === 'postgres')!.totalXactCount).toBeGreaterThanOrEqual(6);
        const text = await metrics.text();
        expect(text).toMatch(
          /voicehive_pgbouncer_pools_client_waiting_connections\{database="postgres",user="postgres"\} \d+/,
        );
        expect(text).toMatch(/voicehive_pgbouncer_stats_queries_pooled_total\{database="postgres"\} [1-9]/);
      } finally {
        await Promise.all(clients.map((c) => c.end().catch(() => {})));
        await bouncer.stop();
      }
    },
  );

  it.skipIf(!hasPgBouncer)(
    'starts PgBouncer from a rendered profile, reloads it after a config change, and stops it',
    async () => {
      const server = await getSharedPostgres();
      const port = await freePort();
      const config = {
        databases: [{ name: 'hoteldb', host: '127.0.0.1', port: server.port, dbname: 'postgres' }],
        users: [{ name: 'postgres' }],
        authType: 'trust' as const,
        listenPort: port,
      };
      await using manager = new PgBouncerManager({ config, enabled: true });
      await manager.start();
      expect(manager.running).toBe(true);
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/hoteldb` });
      await client.connect();
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await client.end();
      expect((await manager.readStats()).config['default_pool_size']).toBe('25');

      await manager.updateConfig({ ...config, overrides: { defaultPoolSize: 7 } });
      const reloaded = await until(async () => {
        const snap = await manager.readStats();
        return snap.config['default_pool_size'] === '7' ? snap : undefined;
      });
      expect(reloaded.config['pool_mode']).toBe('transaction');

      await manager.stop();
      expect(manager.running).toBe(false);
      await expect(readPgBouncerAdmin(manager.adminUrl, { timeoutMs: 1000 })).rejects.toMatchObject({
        code: 'PGBOUNCER_FAILED',
      });
    },
  );

  it('refuses to start when not enabled', async () => {
    const manager = new PgBouncerManager({
      config: { databases: [{ name: 'x', host: '127.0.0.1' }], users: [{ name: 'u', password: 'p' }] },
      enabled: false,
    });
    await expect(manager.start()).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringMatching(/PGBOUNCER_ENABLED/),
    });
  });
});
