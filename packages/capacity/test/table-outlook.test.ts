import { createTestDatabase, getSharedPostgres, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableSeries } from '../src/collect/flatten.js';
import { seededRandom } from '../src/forecast/synthetic.js';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase(await getSharedPostgres());
});
afterAll(async () => {
  await testDb?.drop();
});

describe('per-table forecasts on the dashboard: which table fills the disk, and when', () => {
  it('the fastest-growing table is first, with days until its growth alone uses the free space; a table with a bulk load shows the change point', async () => {
    const store = new MemorySampleStore();
    await using probe = new DatabaseCapacityManager(testDb.url, {
      store: new MemorySampleStore(),
      storageLimitBytes: 2 ** 50,
    });
    await probe.initialize();
    const used = (await probe.collectSample()).snapshot.storage.usedBytes!;
    const free = 10 * GiB;
    await using m = new DatabaseCapacityManager(testDb.url, { store, storageLimitBytes: used + free });
    await m.initialize();
    const now = Date.UTC(2026, 0, 21);
    const rand = seededRandom(5);
    const rows = [];
    for (let i = 0; i < 20 * 24; i++) {
      const ts = new Date(now - 20 * DAY + i * HOUR);
      const d = i / 24;
      rows.push({ metric: tableSeries('public', 'events'), ts, value: GiB + 500 * MiB * d + rand() * MiB });
      rows.push({ metric: tableSeries('public', 'bookings'), ts, value: 8 * GiB + 20 * MiB * d + rand() * MiB });
      // A backfill on day 12 (+2 GiB), then the usual 100 MiB/day.
      rows.push({
        metric: tableSeries('public', 'guests'),
        ts,
        value: 3 * GiB + 100 * MiB * d + (d >= 12 ? 2 * GiB : 0) + rand() * MiB,
      });
    }
    await store.write(rows);
    const dash = await m.getCapacityDashboardData({ now: new Date(now) });
    const names = dash.tables.map((t) => t.table);
    expect(names.slice(0, 3)).toEqual(['public.events', 'public.guests', 'public.bookings']);
    const events = dash.tables[0]!;
    // 10 GiB free at 500 MiB/day: 20.5 days.
    expect(events.daysUntilDiskFull.expected!).toBeGreaterThan(18);
    expect(events.daysUntilDiskFull.expected!).toBeLessThan(22);
    expect(events.daysUntilDiskFull.pessimistic!).toBeLessThanOrEqual(events.daysUntilDiskFull.expected!);
    expect(Math.abs(events.growthPerDay! - 500 * MiB) / (500 * MiB)).toBeLessThan(0.05);
    const guests = dash.tables.find((t) => t.table === 'public.guests')!;
    expect(guests.changePoints.map((c) => c.kind)).toEqual(['level']);
    expect(Math.abs(guests.changePoints[0]!.size - 2 * GiB) / (2 * GiB)).toBeLessThan(0.05);
    // Growth after the backfill is the usual 100 MiB/day, not the jump spread over the window.
    expect(Math.abs(guests.growthPerDay! - 100 * MiB) / (100 * MiB)).toBeLessThan(0.1);
  });
});
