import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  HOTEL_MISSING_INDEXES,
  HOTEL_TABLES,
  HOTEL_TINY_TABLES,
  hotelQueries,
  hotelRowCounts,
  loadHotelWorkload,
  type PostgresServer,
  readHotelWorkloadInfo,
  runHotelWorkload,
  startPostgres,
  type TestDatabase,
} from '../src/index.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values?: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

// A fingerprint of the generated values of every table, so "same seed, same data" is checked column by column.
const FINGERPRINT_SQL = HOTEL_TABLES.map(
  (table) =>
    `SELECT '${table}' AS t, count(*)::int AS n, md5(string_agg(x::text, ',' ORDER BY x.id)) AS h FROM ${table} x`,
).join(' UNION ALL ');

// pg_stat_statements replaces constants with $n; compare with every constant and parameter blanked out.
const normalise = (sql: string): string =>
  sql
    .replace(/'[^']*'|\$\d+|\b\d+\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim();

async function fingerprint(url: string): Promise<Record<string, { n: number; h: string }>> {
  // Rendered in UTC, so a database's TimeZone setting cannot make equal instants look different.
  const client = new pg.Client({ connectionString: url, options: '-c timezone=UTC' });
  await client.connect();
  const rows = await client
    .query<{ t: string; n: number; h: string }>(FINGERPRINT_SQL)
    .then((res) => res.rows)
    .finally(() => client.end());
  return Object.fromEntries(rows.map((row) => [row.t, { n: row.n, h: row.h }]));
}

describe('hotel workload', () => {
  let server: PostgresServer;
  let first: TestDatabase;
  let second: TestDatabase;
  let other: TestDatabase;

  beforeAll(async () => {
    server = await startPostgres();
    [first, second, other] = await Promise.all([
      createTestDatabase(server),
      createTestDatabase(server),
      createTestDatabase(server),
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loads the row counts of its scale and reports size and time', async () => {
    const report = await loadHotelWorkload(first.url, { scale: 1, seed: 7 });
    expect(report.rows).toEqual(hotelRowCounts(1));
    expect(report.rows.call_events).toBeGreaterThan(report.rows.call_sessions);
    const counts = await fingerprint(first.url);
    for (const table of HOTEL_TABLES) expect(counts[table]!.n, table).toBe(report.rows[table]);
    expect(report.bytes).toBeGreaterThan(1_000_000);
    expect(report.durationMs).toBeGreaterThan(0);
    expect(await readHotelWorkloadInfo(first.url)).toEqual({ scale: 1, seed: 7, rows: report.rows });
  });

  it('is deterministic: same seed, same data; another seed, other data', async () => {
    // With a different TimeZone the generated instants must not move.
    await query(second.url, `ALTER DATABASE ${second.name} SET timezone = 'America/New_York'`);
    await loadHotelWorkload(second.url, { scale: 1, seed: 7 });
    await loadHotelWorkload(other.url, { scale: 1, seed: 8 });
    const [a, b, c] = await Promise.all([fingerprint(first.url), fingerprint(second.url), fingerprint(other.url)]);
    expect(b).toEqual(a);
    expect(c['guests']!.h).not.toBe(a['guests']!.h);
    expect(c['bookings']!.h).not.toBe(a['bookings']!.h);
    expect(c['call_events']!.h).not.toBe(a['call_events']!.h);
  });

  it('keeps every foreign key valid and the tiny tables tiny', async () => {
    const fks = await query<{ n: number }>(
      first.url,
      "SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND convalidated",
    );
    expect(fks[0]!.n).toBe(9);
    const tiny = await loadHotelWorkload((await createTestDatabase(server)).url, { scale: 3, seed: 7 });
    for (const table of HOTEL_TINY_TABLES) expect(tiny.rows[table]).toBe(hotelRowCounts(1)[table]);
    expect(tiny.rows.bookings).toBe(3 * hotelRowCounts(1).bookings);
  });

  it('leaves out exactly the indexes in HOTEL_MISSING_INDEXES', async () => {
    const indexes = await query<{ table: string; columns: string[] }>(
      first.url,
      `SELECT c.relname AS table,
              array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k) AS columns
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       WHERE c.relnamespace = 'public'::regnamespace`,
    );
    for (const missing of HOTEL_MISSING_INDEXES) {
      const leading = missing.columns[0]!.replace(/ DESC$/, '');
      const covering = indexes.filter((index) => index.table === missing.table && index.columns[0] === leading);
      expect(covering, `${missing.table}(${missing.columns.join(', ')})`).toEqual([]);
    }
    // The other foreign keys are indexed, so only the intended gaps show up in an unindexed-FK check.
    const unindexed = await query<{ conname: string }>(
      first.url,
      `SELECT conname FROM pg_constraint c
       WHERE contype = 'f' AND connamespace = 'public'::regnamespace
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
       ORDER BY 1`,
    );
    expect(unindexed.map((row) => row.conname)).toEqual([
      'call_events_call_session_id_fkey',
      'call_sessions_hotel_id_fkey',
      'payments_booking_id_fkey',
    ]);
  });

  it('runs every query, and pg_stat_statements sees them', async () => {
    await query(first.url, 'SELECT pg_stat_statements_reset()');
    const run = await runHotelWorkload(first.url, { iterations: 3, seed: 5 });
    expect(run.statements).toBe(3 * hotelQueries.length);
    for (const q of hotelQueries) expect(run.calls[q.name], q.name).toBe(3);
    const seen = await query<{ query: string; calls: string }>(
      first.url,
      'SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
    );
    for (const q of hotelQueries) {
      const entry = seen.find((row) => normalise(row.query) === normalise(q.sql));
      expect(entry, q.name).toBeDefined();
      expect(Number(entry!.calls), q.name).toBe(3);
    }
  });

  it('finds the callers it looks up', async () => {
    const byEmail = hotelQueries.find((q) => q.name === 'guest_by_email')!;
    const info = (await readHotelWorkloadInfo(first.url))!;
    const { createRandom } = await import('../src/index.js');
    const rng = createRandom(3);
    for (let i = 0; i < 5; i++) {
      expect(await query(first.url, byEmail.sql, byEmail.params(rng, info))).toHaveLength(1);
    }
    const needing = hotelQueries.filter((q) => q.needsIndex).map((q) => q.needsIndex!.table);
    expect(new Set(needing)).toEqual(new Set(HOTEL_MISSING_INDEXES.map((index) => index.table)));
  });

  it('rejects bad options and stops when aborted', async () => {
    await expect(loadHotelWorkload(other.url, { scale: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(loadHotelWorkload(other.url, { seed: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const empty = await createTestDatabase(server);
    await expect(runHotelWorkload(empty.url)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const controller = new AbortController();
    const loading = loadHotelWorkload(empty.url, { scale: 50, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await expect(loading).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(runHotelWorkload(first.url, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  it('replaces an existing workload when asked', async () => {
    await expect(loadHotelWorkload(other.url, { seed: 8 })).rejects.toThrow(/already exists/);
    const report = await loadHotelWorkload(other.url, { seed: 9, replace: true });
    expect((await readHotelWorkloadInfo(other.url))!.seed).toBe(9);
    expect(report.rows.guests).toBe(hotelRowCounts(1).guests);
  });
});
