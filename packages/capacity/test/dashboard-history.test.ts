import { createTestDatabase, getSharedPostgres, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERIES } from '../src/collect/flatten.js';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';
import type {
  MaintenanceResult,
  RetentionPolicy,
  SampleQuery,
  SampleStore,
  StoreCallOptions,
  StoredSample,
} from '../src/store/sample-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The real in-memory store, with a record of the queries it was asked. */
class RecordingStore implements SampleStore {
  readonly shared = false;
  readonly reads: SampleQuery[] = [];
  readonly #inner = new MemorySampleStore();
  init(): Promise<void> {
    return this.#inner.init();
  }
  write(samples: readonly StoredSample[]): Promise<number> {
    return this.#inner.write(samples);
  }
  read(query: SampleQuery, _options?: StoreCallOptions): Promise<StoredSample[]> {
    this.reads.push(query);
    return this.#inner.read(query);
  }
  maintain(policy: RetentionPolicy, now: Date): Promise<MaintenanceResult> {
    return this.#inner.maintain(policy, now);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase(await getSharedPostgres());
});
afterAll(async () => {
  await testDb?.drop();
});

describe('getCapacityDashboardData history', () => {
  it('reads the sample store once for forecasts and trends, each still limited to its own window', async () => {
    const now = new Date(Date.UTC(2030, 0, 31));
    const t0 = now.getTime() - 40 * DAY;
    const store = new RecordingStore();
    const grid = (from: number, to: number) => {
      const out: number[] = [];
      for (let t = from; t <= to; t += 6 * HOUR) out.push(t);
      return out;
    };
    const linear = (metric: string, perDay: number, from = t0, to = now.getTime()) =>
      grid(from, to).map((t) => ({ metric, ts: new Date(t), value: 1e9 + ((t - t0) / DAY) * perDay }));

    const managers = [
      new DatabaseCapacityManager(testDb.url, { store, forecast: { historyDays: 7 } }),
      new DatabaseCapacityManager(testDb.url, { store }),
    ];
    try {
      for (const m of managers) {
        await m.initialize();
        // Gives the manager its latest snapshot, stamped far outside every window used below.
        await m.collectSample({ at: new Date(now.getTime() - 60 * DAY) });
      }
      await store.write([
        ...linear(SERIES.storageUsed, 1e6),
        ...linear(SERIES.databaseSize, 2e6),
        ...linear(`${SERIES.tablePrefix}public.recent`, 1e5, now.getTime() - 7 * DAY),
        // Only 10–20 days old: inside the trend window, outside a 7-day forecast history.
        ...linear(`${SERIES.tablePrefix}public.old`, 1e5, now.getTime() - 20 * DAY, now.getTime() - 10 * DAY),
      ]);

      const trendsSeen = [];
      for (const m of managers) {
        store.reads.length = 0;
        const dash = await m.getCapacityDashboardData({ now });
        expect(store.reads).toHaveLength(1);
        expect(dash.forecasts).toEqual(await m.getForecasts({ now }));
        trendsSeen.push(dash.trends);
      }

      const [short, long] = managers.map((m) => m.config.forecast.historyDays);
      expect(short).toBe(7);
      expect(long).toBeGreaterThan(31);
      const shortDash = await managers[0]!.getCapacityDashboardData({ now });
      const resources = shortDash.forecasts.map((f) => f.resource);
      expect(resources).toContain('table:public.recent');
      expect(resources).not.toContain('table:public.old');
      expect(shortDash.forecasts.find((f) => f.resource === 'storage')!.samples.used).toBe(7 * 4 + 1);

      // Trends cover 31 days whatever historyDays is: the 30-day change exists with a 7-day forecast history.
      const storage = trendsSeen[0]!.find((t) => t.resource === 'storage')!;
      expect(storage.current).toBeCloseTo(1e9 + 40e6);
      expect(storage.change1d).toBeCloseTo(1e6);
      expect(storage.change7d).toBeCloseTo(7e6);
      expect(storage.change30d).toBeCloseTo(30e6);
      expect(trendsSeen[1]).toEqual(trendsSeen[0]);
    } finally {
      for (const m of managers) await m.close();
    }
  });
});
