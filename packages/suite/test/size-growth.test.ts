import { MemorySampleStore, SERIES, tableSeries } from '@voicehive/db-capacity';
import { describe, expect, it } from 'vitest';
import { sizeGrowthFrom } from '../src/insights/size-growth.js';
import { spaceSection } from '../src/page/sections.js';

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
