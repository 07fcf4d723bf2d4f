import { createDatabase, type Database } from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySampleStore } from '../src/store/memory-store.js';
import { PostgresSampleStore } from '../src/store/postgres-store.js';
import { DEFAULT_RETENTION, type SampleStore } from '../src/store/sample-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date(Date.UTC(2026, 5, 15, 12, 30));

/** One contract, every implementation (DESIGN §5.1). */
function contract(name: string, make: () => Promise<SampleStore>) {
  describe(`SampleStore contract: ${name}`, () => {
    it('writes, ignores a repeated (metric, ts), reads back in (metric, ts) order with filters', async () => {
      const store = await make();
      const t = (h: number) => new Date(NOW.getTime() - h * HOUR);
      expect(
        await store.write([
          { metric: 'b', ts: t(1), value: 2 },
          { metric: 'a', ts: t(2), value: 1 },
          { metric: 'a', ts: t(1), value: 1.5 },
          { metric: 'table_total_bytes:public.x', ts: t(1), value: 9 },
        ]),
      ).toBe(4);
      expect(
        await store.write([
          { metric: 'a', ts: t(1), value: 999 },
          { metric: 'a', ts: t(0), value: 3 },
        ]),
      ).toBe(1);
      const all = await store.read({});
      expect(all.map((s) => `${s.metric}@${s.value}`)).toEqual([
        'a@1',
        'a@1.5',
        'a@3',
        'b@2',
        'table_total_bytes:public.x@9',
      ]);
      expect((await store.read({ metrics: ['a'], since: t(1) })).map((s) => s.value)).toEqual([1.5, 3]);
      expect((await store.read({ metrics: ['a'], until: t(1) })).map((s) => s.value)).toEqual([1]);
      expect((await store.read({ prefix: 'table_total_bytes:' })).map((s) => s.metric)).toEqual([
        'table_total_bytes:public.x',
      ]);
      expect((await store.read({ metrics: ['b'], prefix: 'table_' })).length).toBe(2);
      expect(all[0]!.ts).toBeInstanceOf(Date);
    });

    it('maintain: raw → hourly averages after 14 days, → daily after 90, deleted after 400', async () => {
      const store = await make();
      const at = (days: number, minutes: number) => new Date(NOW.getTime() - days * DAY + minutes * 60_000);
      // Four samples inside one hour 20 days ago, two inside one UTC day 100 days ago, one 500 days ago, one fresh.
      const old20 = new Date(Math.floor(at(20, 0).getTime() / HOUR) * HOUR);
      const old100 = new Date(Math.floor(at(100, 0).getTime() / DAY) * DAY);
      await store.write([
        ...[0, 10, 20, 30].map((m, i) => ({ metric: 'm', ts: new Date(old20.getTime() + m * 60_000), value: 10 + i })),
        { metric: 'm', ts: new Date(old100.getTime() + 2 * HOUR), value: 100 },
        { metric: 'm', ts: new Date(old100.getTime() + 5 * HOUR), value: 200 },
        { metric: 'm', ts: at(500, 0), value: 5 },
        { metric: 'm', ts: at(0, -5), value: 7 },
      ]);
      const r = await store.maintain(DEFAULT_RETENTION, NOW);
      expect(r.deleted).toBe(1);
      expect(r.downsampled).toBeGreaterThanOrEqual(6);
      const rows = await store.read({ metrics: ['m'] });
      expect(rows.map((s) => [s.ts.toISOString(), s.value])).toEqual([
        [old100.toISOString(), 150],
        [old20.toISOString(), 11.5],
        [at(0, -5).toISOString(), 7],
      ]);
      // Idempotent: a second run changes nothing.
      expect(await store.maintain(DEFAULT_RETENTION, NOW)).toEqual({ downsampled: 0, deleted: 0 });
    });
  });
}

contract('memory', async () => new MemorySampleStore());

let db: Database;
let testDb: TestDatabase;
let n = 0;
beforeAll(async () => {
  testDb = await createTestDatabase(await getSharedPostgres());
  db = createDatabase(testDb.url);
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});
contract('postgres', async () => {
  const store = new PostgresSampleStore(db, { schema: 'capacity history', table: `samples "${++n}"` });
  await store.init();
  return store;
});

describe('PostgresSampleStore specifics', () => {
  it('creates the table on the first write (not at init) in a quoted, configurable schema with a (metric, ts) primary key', async () => {
    const store = new PostgresSampleStore(db, { schema: 'cap_schema', table: 'hist' });
    await store.init();
    await store.init();
    // A read before any write sees an empty history and creates nothing.
    expect(await store.read({})).toEqual([]);
    expect((await db.query("SELECT to_regclass('cap_schema.hist') AS t")).rows[0]).toEqual({ t: null });
    await store.write([{ metric: 'm', ts: new Date(), value: 1 }]);
    const pk = await db.query<{ def: string }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'cap_schema.hist'::regclass AND contype = 'p'",
    );
    expect(pk.rows[0]!.def).toBe('PRIMARY KEY (metric, ts)');
  });

  it('rejects an empty or over-long table name with INVALID_ARGUMENT', () => {
    expect(() => new PostgresSampleStore(db, { table: '' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new PostgresSampleStore(db, { table: 'x'.repeat(64) })).toThrow(/1 to 63 characters/);
  });

  it('createTable: false and a missing table → NOT_FOUND naming the table', async () => {
    const store = new PostgresSampleStore(db, { table: 'absent', createTable: false });
    await expect(store.init()).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('dbrs.absent'),
    });
  });
});
