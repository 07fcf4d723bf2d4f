import { createDatabase, type Database } from '@voicehive/db-core';
import {
  createTestDatabase,
  embeddedPostgresAvailable,
  type PostgresServer,
  requireComponent,
  startPostgres,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';

// The pg_stat_io branches: op_bytes on 16 (and 17, see pg17.test.ts), the byte columns and WAL rows of 18.
const MAJORS = [16, 18] as const;
type Major = (typeof MAJORS)[number];
const available: Record<Major, boolean> = {
  16: requireComponent('postgres16', await embeddedPostgresAvailable(16)),
  18: requireComponent('postgres18', await embeddedPostgresAvailable(18)),
};

// Small enough that the probe table cannot stay in shared buffers, so scanning it must read from the kernel.
const SHARED_BUFFERS_BYTES = 16 * 1024 * 1024;
const HOUR = 3_600_000;

interface Fixture {
  server: PostgresServer;
  testDb: TestDatabase;
  admin: Database;
}
const fixtures = new Map<Major, Fixture>();
const started: PostgresServer[] = [];

beforeAll(async () => {
  // Both servers start at once: init is mostly waiting, and the file pays it once.
  await Promise.all(
    MAJORS.filter((major) => available[major]).map(async (major) => {
      const server = await startPostgres({ source: 'embedded', major, settings: { shared_buffers: '16MB' } });
      started.push(server);
      const testDb = await createTestDatabase(server);
      fixtures.set(major, { server, testDb, admin: createDatabase(testDb.url) });
    }),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all([...fixtures.values()].map((f) => f.admin.close()));
  await Promise.all(started.map((server) => server.stop()));
}, 60_000);

interface DirectIo {
  readBytes: number;
  writeBytes: number;
  /** PG18 only: bytes written by WAL rows, which the capacity series leaves out. */
  walWriteBytes: number;
}

/**
 * pg_stat_io summed independently of the collector's SQL: on 16 every row is
 * a relation row of BLCKSZ operations (checked), on 18 the byte columns of the
 * relation rows.
 */
async function directIo(admin: Database, major: Major): Promise<DirectIo> {
  if (major === 16) {
    const r = await admin.query<{ r: string; w: string; odd: string; wal: string }>(
      `SELECT sum(reads) * current_setting('block_size')::bigint AS r,
              sum(coalesce(writes, 0) + coalesce(extends, 0)) * current_setting('block_size')::bigint AS w,
              count(*) FILTER (WHERE op_bytes <> current_setting('block_size')::bigint) AS odd,
              count(*) FILTER (WHERE object NOT IN ('relation', 'temp relation')) AS wal
       FROM pg_stat_io`,
    );
    expect(r.rows[0]).toMatchObject({ odd: '0', wal: '0' });
    return { readBytes: Number(r.rows[0]!.r), writeBytes: Number(r.rows[0]!.w), walWriteBytes: 0 };
  }
  const r = await admin.query<{ r: string; w: string; wal: string }>(
    `SELECT sum(read_bytes) FILTER (WHERE object <> 'wal') AS r,
            sum(coalesce(write_bytes, 0) + coalesce(extend_bytes, 0)) FILTER (WHERE object <> 'wal') AS w,
            sum(write_bytes) FILTER (WHERE object = 'wal') AS wal
     FROM pg_stat_io`,
  );
  return {
    readBytes: Number(r.rows[0]!.r),
    writeBytes: Number(r.rows[0]!.w),
    walWriteBytes: Number(r.rows[0]!.wal),
  };
}

/** Writes a table larger than shared_buffers and scans it on one session, then flushes that session's stats. */
function generateIo(admin: Database, table: string): Promise<number> {
  return admin.withClient(async (client) => {
    await client.query(
      `CREATE TABLE "${table}" AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 150000) g`,
    );
    await client.query(`SELECT count(*) FROM "${table}"`);
    // Stats reach shared memory when the session goes idle, at most once a second unless forced.
    await client.query('SELECT pg_stat_force_next_flush()');
    const size = await client.query<{ n: string }>('SELECT pg_relation_size($1) AS n', [table]);
    return Number(size.rows[0]!.n);
  });
}

/** Every number anywhere in the value, with its path, so a NaN names where it came from. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.entries(value).flatMap(([key, v]) => numbersIn(v, `${path}.${key}`));
}

describe.each(MAJORS)('DatabaseCapacityManager on PostgreSQL %i', (major) => {
  it.skipIf(!available[major])(
    'collects relation I/O from pg_stat_io, matching the view and the work done',
    async () => {
      const { server, testDb, admin } = fixtures.get(major)!;
      expect(server.version.major).toBe(major);
      await using m = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore() });
      await m.initialize();
      const first = (await m.collectSample()).snapshot;
      expect(first.errors).toEqual([]);
      expect(first.serverVersionNum).toBe(server.version.num);
      expect(first.io!.source).toBe('pg_stat_io');

      const tableBytes = await generateIo(admin, `io_probe_${major}`);
      expect(tableBytes).toBeGreaterThan(2 * SHARED_BUFFERS_BYTES);

      // Background processes keep counting, so the collected value must lie between two direct reads.
      const before = await directIo(admin, major);
      const { snapshot } = await m.collectSample();
      const after = await directIo(admin, major);
      expect(snapshot.errors).toEqual([]);
      const io = snapshot.io!;
      expect(io.source).toBe('pg_stat_io');
      expect(io.readBytes).toBeGreaterThanOrEqual(before.readBytes);
      expect(io.readBytes).toBeLessThanOrEqual(after.readBytes);
      expect(io.writeBytes!).toBeGreaterThanOrEqual(before.writeBytes);
      expect(io.writeBytes!).toBeLessThanOrEqual(after.writeBytes);

      // The new table's main fork was extended block by block (18: extend_bytes, since one extend may add several).
      expect(io.writeBytes! - first.io!.writeBytes!).toBeGreaterThanOrEqual(tableBytes);
      // At most shared_buffers of it can have been cached, so the scan read at least the rest from the kernel.
      expect(io.readBytes - first.io!.readBytes).toBeGreaterThanOrEqual(tableBytes - SHARED_BUFFERS_BYTES);
      if (major === 18) {
        // The CTAS wrote WAL (and initialised segments): pg_stat_io counts it on 18, the series must not.
        expect(after.walWriteBytes).toBeGreaterThan(tableBytes);
      }
      expect(numbersIn(snapshot).filter(([, v]) => !Number.isFinite(v))).toEqual([]);
      await admin.query(`DROP TABLE "io_probe_${major}"`);
    },
  );

  it.skipIf(!available[major])('forecasts from a short history with no NaN, IO series stored', async () => {
    const { testDb } = fixtures.get(major)!;
    const store = new MemorySampleStore();
    await using m = new DatabaseCapacityManager(testDb.url, { store });
    await m.initialize();
    const base = Date.now() - 2 * 24 * HOUR;
    for (let i = 0; i < 5; i++) await m.collectSample({ at: new Date(base + i * 6 * HOUR) });
    const dash = await m.getCapacityDashboardData({ now: new Date(base + 24 * HOUR) });
    expect(dash.current.io!.source).toBe('pg_stat_io');
    expect(dash.forecasts.length).toBeGreaterThan(0);
    expect(dash.forecasts.find((f) => f.resource === 'storage')).toBeDefined();
    expect(JSON.stringify(dash)).not.toMatch(/NaN|Infinity/);
    const reads = await store.read({
      metrics: ['io_read_bytes_total', 'io_write_bytes_total'],
      since: new Date(base - 1),
      until: new Date(base + 25 * HOUR),
    });
    expect(reads.length).toBe(10);
    expect(reads.every((s) => s.value > 0)).toBe(true);
  });
});
