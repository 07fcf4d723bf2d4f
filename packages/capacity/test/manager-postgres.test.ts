import { createDatabase, createMetrics, type Database, type DbrsError, withDatabase } from '@voicehive/db-core';
import {
  createTestDatabase,
  getSharedPostgres,
  loadHotelWorkload,
  type PostgresServer,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotToSamples } from '../src/collect/flatten.js';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';
import { sampleTableDdl } from '../src/store/postgres-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let server: PostgresServer;
let testDb: TestDatabase;
let admin: Database;

beforeAll(async () => {
  server = await getSharedPostgres();
  testDb = await createTestDatabase(server);
  admin = createDatabase(testDb.url);
  await loadHotelWorkload(testDb.url, { scale: 0.5, seed: 7 });
});
afterAll(async () => {
  await admin?.close();
  await testDb?.drop();
});

describe('DatabaseCapacityManager against PostgreSQL', () => {
  it('collected sizes agree with pg_database_size and pg_total_relation_size', async () => {
    await using m = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore() });
    await m.initialize();
    const { snapshot } = await m.collectSample();
    const sizes = await admin.query<{ db: string; rel: string; n: string; idx: string }>(
      `SELECT pg_database_size(current_database()) AS db,
              (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast') AS rel,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname = 'public') AS n,
              (SELECT sum(pg_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'i' AND n.nspname = 'public') AS idx`,
    );
    const row = sizes.rows[0]!;
    // Autovacuum may add a visibility-map page between the two reads; nothing else writes here.
    expect(Math.abs(snapshot.database.sizeBytes - Number(row.db))).toBeLessThanOrEqual(64 * 1024);
    expect(Math.abs(snapshot.tables.totalBytes - Number(row.rel))).toBeLessThanOrEqual(64 * 1024);
    expect(snapshot.tables.count).toBe(Number(row.n));
    expect(Math.abs(snapshot.indexes.totalBytes - Number(row.idx))).toBeLessThanOrEqual(64 * 1024);
    for (const t of snapshot.tables.top) {
      const r = await admin.query<{ s: string }>(
        'SELECT pg_total_relation_size(format($1::text, $2::text, $3::text)::regclass) AS s',
        ['%I.%I', t.schema, t.name],
      );
      expect(Math.abs(t.totalBytes - Number(r.rows[0]!.s)), `${t.name}`).toBeLessThanOrEqual(64 * 1024);
    }
    expect(snapshot.tables.top[0]!.totalBytes).toBeGreaterThanOrEqual(snapshot.tables.top.at(-1)!.totalBytes);
    expect(snapshot.tables.top.map((t) => t.name)).toContain('call_events');
    expect(snapshot.tables.rowEstimate).toBeGreaterThan(1000);
    expect(snapshot.connections!.max).toBeGreaterThan(snapshot.connections!.used);
    expect(snapshot.connections!.used).toBeGreaterThanOrEqual(1);
    expect(snapshot.xid!.age).toBeGreaterThan(0);
    expect(snapshot.wal!.positionBytes).toBeGreaterThan(0);
    expect(snapshot.io!.source).toBe(server.version.major >= 16 ? 'pg_stat_io' : 'pg_stat_database');
    expect(snapshot.storage.source).toBe('filesystem');
    expect(snapshot.storage.limitBytes!).toBeGreaterThan(snapshot.storage.usedBytes);
    expect(snapshot.host!.memoryTotalBytes).toBeGreaterThan(0);
    expect(snapshot.errors).toEqual([]);
  });

  it('WAL bytes per interval follow the LSN delta of a write between two samples', async () => {
    await using m = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore() });
    await m.initialize();
    const t0 = new Date(Date.now() - 60_000);
    // The LSN is cluster-wide and other test files write to this shared server meanwhile: bound the manager's
    // interval from outside too, instead of assuming only this test wrote WAL.
    const outer = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    await m.collectSample({ at: t0 });
    const before = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    await admin.query("CREATE TABLE wal_probe AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
    const after = await admin.query<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS d', [
      before.rows[0]!.lsn,
    ]);
    const { snapshot } = await m.collectSample({ at: new Date(t0.getTime() + 60_000) });
    const outerDelta = await admin.query<{ d: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS d',
      [outer.rows[0]!.lsn],
    );
    // The manager's interval contains the test's own measurement and lies inside the outer one.
    const measured = Number(after.rows[0]!.d);
    expect(measured).toBeGreaterThan(1_000_000);
    expect(snapshot.wal!.bytesSinceLast!).toBeGreaterThanOrEqual(measured);
    expect(snapshot.wal!.bytesSinceLast!).toBeLessThanOrEqual(Number(outerDelta.rows[0]!.d));
    expect(snapshot.wal!.bytesPerSecond!).toBeCloseTo(snapshot.wal!.bytesSinceLast! / 60, 3);
    await admin.query('DROP TABLE wal_probe');
  });

  it('growth from loading the hotel workload in daily steps is detected with the right sign and order of magnitude; history survives a new manager', async () => {
    const growthDb = await createTestDatabase(server);
    try {
      const days = 8;
      const start = Date.now() - days * DAY;
      const sizes: number[] = [];
      {
        await using m = new DatabaseCapacityManager(growthDb.url, { table: 'cap_history', leadership: 'per-write' });
        await m.initialize();
        for (let d = 0; d <= days; d++) {
          // Scale grows 0.25 per "day": roughly linear growth of the database.
          await loadHotelWorkload(growthDb.url, { scale: 0.25 * (d + 1), seed: 3, replace: true });
          for (const h of [0, 8, 16]) {
            const { snapshot, written, leader } = await m.collectSample({ at: new Date(start + d * DAY + h * HOUR) });
            expect(leader).toBe(true);
            expect(written).toBeGreaterThan(10);
            if (h === 0) sizes.push(snapshot.database.sizeBytes);
          }
        }
      }
      const truthPerDay = (sizes.at(-1)! - sizes[0]!) / days;
      expect(truthPerDay).toBeGreaterThan(100_000);
      // A quota 30 "days" of growth above the last size.
      const quota = sizes.at(-1)! + 30 * truthPerDay;
      await using fresh = new DatabaseCapacityManager(growthDb.url, { table: 'cap_history', storageLimitBytes: quota });
      await fresh.initialize();
      const now = new Date(start + days * DAY + 17 * HOUR);
      const forecasts = await fresh.getForecasts({ now });
      const dbSize = forecasts.find((f) => f.resource === 'database_size')!;
      expect(dbSize.samples.used).toBe((days + 1) * 3);
      expect(dbSize.status).toBe('ok');
      expect(dbSize.growthPerDay!).toBeGreaterThan(truthPerDay / 3);
      expect(dbSize.growthPerDay!).toBeLessThan(truthPerDay * 3);
      expect(dbSize.limit).toBe(quota);
      expect(dbSize.daysUntilLimit.expected!).toBeGreaterThan(10);
      expect(dbSize.daysUntilLimit.expected!).toBeLessThan(90);
      expect(dbSize.daysUntilLimit.pessimistic!).toBeLessThanOrEqual(dbSize.daysUntilLimit.expected!);
      const events = forecasts.find((f) => f.resource === 'table:public.call_events')!;
      expect(events.growthPerDay!).toBeGreaterThan(0);
      const dash = await fresh.getCapacityDashboardData({ now });
      expect(dash.trends.find((t) => t.resource === 'database_size')!.change7d!).toBeGreaterThan(0);
      expect(dash.forecasts.length).toBe(forecasts.length);
      expect(dash.generatedAt).toBeInstanceOf(Date);
      expect(Array.isArray(dash.alerts)).toBe(true);
    } finally {
      await growthDb.drop();
    }
  });

  it('two managers on one database do not write duplicate samples (leader lock, then the unique key)', async () => {
    const at = new Date(Date.now() - 5 * 60_000);
    await using a = new DatabaseCapacityManager(testDb.url, { table: 'dup_hold' });
    await using b = new DatabaseCapacityManager(testDb.url, { table: 'dup_hold' });
    await a.initialize();
    await b.initialize();
    const ra = await a.collectSample({ at });
    const rb = await b.collectSample({ at });
    expect(ra.leader).toBe(true);
    expect(rb.leader).toBe(false);
    expect(rb.written).toBe(0);
    // Leadership is held: b stays a reader on later samples too.
    expect((await b.collectSample({ at: new Date(at.getTime() + 60_000) })).leader).toBe(false);
    const rows = await admin.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT (metric, ts)) AS d FROM dbrs.dup_hold',
    );
    expect(Number(rows.rows[0]!.n)).toBe(ra.written);
    expect(rows.rows[0]!.d).toBe(rows.rows[0]!.n);

    // per-write leadership releases between writes, so both write in turn; the key drops the second copy.
    await using c = new DatabaseCapacityManager(testDb.url, { table: 'dup_each', leadership: 'per-write' });
    await using d = new DatabaseCapacityManager(testDb.url, { table: 'dup_each', leadership: 'per-write' });
    await c.initialize();
    await d.initialize();
    const rc = await c.collectSample({ at });
    const rd = await d.collectSample({ at });
    expect(rc.leader && rd.leader).toBe(true);
    expect(rc.written).toBeGreaterThan(10);
    // d only adds series c could not have had (e.g. the history table itself now has a size).
    const cKeys = new Set(snapshotToSamples(rc.snapshot).map((s) => s.metric));
    const dNew = snapshotToSamples(rd.snapshot).filter((s) => !cKeys.has(s.metric)).length;
    expect(rd.written).toBe(dNew);
    const each = await admin.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, count(DISTINCT (metric, ts)) AS d FROM dbrs.dup_each',
    );
    expect(Number(each.rows[0]!.n)).toBe(rc.written + rd.written);
    expect(each.rows[0]!.d).toBe(each.rows[0]!.n);
  });

  it('works as a pg_monitor role: collects everything; history table needs the owner, then works', async () => {
    await admin.query('DROP ROLE IF EXISTS cap_monitor');
    await admin.query('CREATE ROLE cap_monitor LOGIN IN ROLE pg_monitor');
    const u = new URL(testDb.url);
    u.username = 'cap_monitor';
    u.password = '';
    const monitorUrl = u.toString();
    {
      await using m = new DatabaseCapacityManager(monitorUrl, { store: new MemorySampleStore() });
      await m.initialize();
      const { snapshot } = await m.collectSample();
      expect(snapshot.errors).toEqual([]);
      expect(snapshot.storage.source).toBe('filesystem');
      expect(snapshot.database.sizeBytes).toBeGreaterThan(0);
      expect(snapshot.tables.top.length).toBeGreaterThan(0);
    }
    {
      // Initialising only reads the catalog; the first write is where the missing right shows.
      await using m = new DatabaseCapacityManager(monitorUrl, { table: 'monitor_history' });
      await m.initialize();
      const err = await m.collectSample().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('monitor_history') });
      expect(String((err as DbrsError).hint)).toContain('sampleTableDdl()');
      expect(String((err as Error).message)).not.toContain(u.password || 'postgres:');
    }
    await admin.query('CREATE SCHEMA IF NOT EXISTS dbrs');
    await admin.query(sampleTableDdl(undefined, 'monitor_history'));
    await admin.query('GRANT USAGE ON SCHEMA dbrs TO cap_monitor');
    await admin.query('GRANT SELECT, INSERT, DELETE, UPDATE ON dbrs.monitor_history TO cap_monitor');
    await using m = new DatabaseCapacityManager(monitorUrl, { table: 'monitor_history' });
    await m.initialize();
    const r = await m.collectSample();
    expect(r.written).toBeGreaterThan(10);
    expect(r.leader).toBe(true);
  });

  it('exposes the original metric names, labelled by resource, with no NaN', async () => {
    const metrics = createMetrics();
    await using m = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore(), metrics });
    await m.initialize();
    const base = Date.now() - 3 * DAY;
    for (let i = 0; i < 12; i++) await m.collectSample({ at: new Date(base + i * 6 * HOUR) });
    await m.getCapacityDashboardData({ now: new Date(base + 12 * 6 * HOUR) });
    const text = await metrics.text();
    expect(text).toMatch(/voicehive_db_capacity_usage_percent\{resource="storage"\} \d/);
    expect(text).toMatch(/voicehive_db_capacity_usage_percent\{resource="connections"\} \d/);
    expect(text).toMatch(/voicehive_db_growth_rate_mb_per_day\{resource="database_size"\} -?\d/);
    expect(text).toContain('# TYPE voicehive_db_capacity_forecast_days gauge');
    expect(text).toMatch(/voicehive_db_capacity_table_size_bytes\{schema="public",table="call_events"\} \d+/);
    expect(text).toMatch(/voicehive_db_capacity_samples_written_total \d+/);
    // Values only: the histogram's le="+Inf" bucket label is legitimate.
    expect(text).not.toMatch(/ (NaN|[+-]?Inf)$/m);
  });

  it('abort, close and asyncDispose', async () => {
    const m = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore() });
    await m.initialize();
    await expect(m.collectSample({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    await m.close();
    await m.close();
    await expect(m.collectSample()).rejects.toMatchObject({ code: 'CLOSED' });
    // Methods initialise on first use (issue #13: one lifecycle); this used to be INVALID_ARGUMENT.
    const n = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore() });
    expect(Array.isArray(await n.getForecasts())).toBe(true);
    await n[Symbol.asyncDispose]();
    await expect(n.getForecasts()).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('accepts a core Database (not closed by the manager) and a URL object', async () => {
    const own = createDatabase(withDatabase(testDb.url, testDb.name));
    {
      await using m = new DatabaseCapacityManager(own, { store: new MemorySampleStore() });
      await m.initialize();
      await m.collectSample();
    }
    expect(own.closed).toBe(false);
    await own.close();
    await using u = new DatabaseCapacityManager(new URL(testDb.url), { store: new MemorySampleStore() });
    await u.initialize();
    expect((await u.collectSample()).snapshot.database.name).toBe(testDb.name);
  });
});
