import { indexSeries, MemorySampleStore, SERIES, snapshotToSamples, tableSeries } from '@voicehive/db-capacity';
import { createDatabase } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageSections } from '../src/insights/page-sections.js';
import { sizeGrowthFrom } from '../src/insights/size-growth.js';
import { spaceSection } from '../src/page/sections.js';
import { sql } from './support/suite-helpers.js';

const DAY = 86_400_000;
const MB = 1024 * 1024;

/**
 * Database and per-table growth over 1/7/30 days from capacity samples, in
 * the store implementation the capacity package ships (in memory here; the
 * PostgreSQL store answers the same read), and how the space table shows it.
 */
describe('size growth from capacity samples', () => {
  it('computes 1/7/30-day growth per table, null where the history does not reach', async () => {
    const now = Date.UTC(2026, 11, 2, 12);
    const store = new MemorySampleStore();
    await store.init();
    const samples = [];
    // bookings: 31 days, +2 MB a day; guests: 3 days, shrinking 1 MB a day; database: 31 days, +5 MB a day.
    for (let d = 31; d >= 0; d--) {
      const ts = new Date(now - d * DAY);
      samples.push({ metric: tableSeries('public', 'bookings'), ts, value: (100 + (31 - d) * 2) * MB });
      samples.push({ metric: SERIES.databaseSize, ts, value: (500 + (31 - d) * 5) * MB });
      if (d <= 3) samples.push({ metric: tableSeries('public', 'guests'), ts, value: (50 - (3 - d)) * MB });
    }
    await store.write(samples);
    const g = await sizeGrowthFrom(store, now);
    expect(g.database).toEqual([
      { days: 1, bytes: 5 * MB },
      { days: 7, bytes: 35 * MB },
      { days: 30, bytes: 150 * MB },
    ]);
    expect(g.tables.get('public.bookings')).toEqual([
      { days: 1, bytes: 2 * MB },
      { days: 7, bytes: 14 * MB },
      { days: 30, bytes: 60 * MB },
    ]);
    expect(g.tables.get('public.guests')).toEqual([
      { days: 1, bytes: -1 * MB },
      { days: 7, bytes: null },
      { days: 30, bytes: null },
    ]);

    const table = (schema: string, name: string) => ({
      schema,
      table: name,
      totalBytes: 10 * MB,
      tableBytes: 8 * MB,
      indexBytes: 2 * MB,
      liveRows: 1000,
      deadRows: 0,
      deadRatio: 0,
      lastVacuum: null,
      lastAutovacuum: null,
      lastAnalyze: null,
      lastAutoanalyze: null,
      xidAge: 10,
      growth: g.tables.get(`${schema}.${name}`),
    });
    const html = spaceSection({
      databaseBytes: 655 * MB,
      growth: g.database,
      tables: [
        table('public', 'bookings'),
        table('public', 'guests'),
        { ...table('public', 'rooms'), growth: undefined },
      ],
      unusedIndexes: [],
      duplicateIndexes: [],
    }).toString();
    const row = (name: string) => new RegExp(`<tr><td>public\\.${name}</td>.*?</tr>`).exec(html)?.[0] ?? '';
    expect(row('bookings')).toContain('<td class="num" data-growth="7">+14.0 MB</td>');
    expect(row('bookings')).toContain('<td class="num" data-growth="30">+60.0 MB</td>');
    expect(row('guests')).toContain('<td class="num" data-growth="1">−1.0 MB</td>');
    expect(row('guests')).toContain('<td class="num" data-growth="30">–</td>');
    expect(html).toContain('growth 1 d: +5.0 MB · 7 d: +35.0 MB · 30 d: +150 MB');
    expect(row('rooms')).toContain('<td class="num" data-growth="1">–</td>');
  });
});

/**
 * Per-index growth: the capacity sample stores the largest indexes as
 * `index_bytes:<schema>.<index>`, and the space section lists the largest
 * indexes of a real database with their growth from that history.
 */
describe('per-index size growth on the space section (real PostgreSQL 15)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE stays (id bigserial PRIMARY KEY, guest text, night date);
       INSERT INTO stays (guest, night) SELECT 'g' || i, date '2026-01-01' + (i % 300) FROM generate_series(1, 20000) i;
       CREATE INDEX stays_guest_idx ON stays (guest);
       CREATE INDEX stays_night_idx ON stays (night);`,
    );
  }, 120_000);

  it('a capacity sample stores each of the largest indexes as its own series', () => {
    const at = new Date();
    const samples = snapshotToSamples({
      collectedAt: at,
      indexes: {
        count: 2,
        totalBytes: 3 * MB,
        top: [
          { schema: 'public', table: 'stays', name: 'stays_guest_idx', bytes: 2 * MB },
          { schema: 'public', table: 'stays', name: 'stays_pkey', bytes: MB },
        ],
      },
      tables: { count: 0, totalBytes: 0, tableBytes: 0, indexBytes: 0, rowEstimate: 0, top: [] },
      database: { name: 'x', sizeBytes: 10 * MB },
      storage: { source: 'unknown', usedBytes: 0, limitBytes: null },
    } as unknown as Parameters<typeof snapshotToSamples>[0]);
    expect(samples.filter((x) => x.metric.startsWith(SERIES.indexPrefix))).toEqual([
      { metric: 'index_bytes:public.stays_guest_idx', ts: at, value: 2 * MB },
      { metric: 'index_bytes:public.stays_pkey', ts: at, value: MB },
    ]);
  });

  it('lists the largest indexes by name with 1/7/30-day growth from the stored history', async () => {
    const now = Date.now();
    const store = new MemorySampleStore();
    await store.init();
    const samples = [];
    // stays_guest_idx: 8 days of history, +100 KB a day; stays_night_idx: none.
    for (let d = 8; d >= 0; d--) {
      samples.push({
        metric: indexSeries('public', 'stays_guest_idx'),
        ts: new Date(now - d * DAY),
        value: (8 - d) * 100 * 1024,
      });
    }
    await store.write(samples);
    await using database = createDatabase(db.url, { poolMax: 2 });
    const { sections, unavailable } = await collectPageSections({
      database,
      excludeApplication: 'dbrs-test',
      pool: { total: 1, idle: 1, waiting: 0, max: 2 },
      sources: { growth: () => sizeGrowthFrom(store, now) },
      signal: AbortSignal.timeout(60_000),
    });
    expect(unavailable).toEqual({});
    const indexes = sections.space?.indexes ?? [];
    expect(indexes.map((i) => i.index)).toEqual(
      expect.arrayContaining(['stays_pkey', 'stays_guest_idx', 'stays_night_idx']),
    );
    const guest = indexes.find((i) => i.index === 'stays_guest_idx')!;
    expect(guest.table).toBe('stays');
    expect(guest.bytes).toBeGreaterThan(100 * 1024);
    expect(guest.growth).toEqual([
      { days: 1, bytes: 100 * 1024 },
      { days: 7, bytes: 700 * 1024 },
      { days: 30, bytes: null },
    ]);
    expect(indexes.find((i) => i.index === 'stays_night_idx')!.growth).toBeUndefined();

    const html = spaceSection(sections.space!).toString();
    const row = (name: string) => new RegExp(`<tr><td>public\\.${name}</td>.*?</tr>`).exec(html)?.[0] ?? '';
    expect(html).toContain('<caption>Largest indexes</caption>');
    expect(row('stays_guest_idx')).toContain('<td>stays</td>');
    expect(row('stays_guest_idx')).toContain('<td class="num" data-growth="7">+700 kB</td>');
    expect(row('stays_guest_idx')).toContain('<td class="num" data-growth="30">–</td>');
    expect(row('stays_night_idx')).toContain('<td class="num" data-growth="1">–</td>');
  }, 120_000);
});
