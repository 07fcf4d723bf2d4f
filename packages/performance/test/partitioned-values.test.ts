import { createTestDatabase, getSharedPostgres, requireComponent, type TestDatabase } from '@voicehive/db-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerformanceReport } from '../src/index.js';
import { exec, report } from './helpers.js';

/*
 * Issue #15 §2 on a partitioned table (found by bench/performance/skewed.ts): pg_qualstats records the
 * predicates on the partitions the executor scanned, and those were merged into the statement's table uses, so
 * `status` appeared on the parent and on every partition; the rare value was then matched against no single
 * table's most-common values and shown as `<withheld>`. A parameter's value is judged against the statistics of
 * the table the statement names (the parent's inherited ones).
 */
const server = await getSharedPostgres();
const ready = requireComponent('hypopg', server.hasHypopg) && requireComponent('pg_qualstats', server.hasQualstats);
const QUERY = 'SELECT id, total FROM orders WHERE status = $1 AND created_at >= $2 AND created_at < $3';

describe.skipIf(!ready)('values, not averages, on a partitioned table', () => {
  let t: TestDatabase;
  let r: PerformanceReport;

  beforeAll(async () => {
    t = await createTestDatabase(server);
    await exec(
      t.url,
      `CREATE TABLE orders (id int NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL, total int)
         PARTITION BY RANGE (created_at);
       CREATE TABLE orders_a PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2026-03-01');
       CREATE TABLE orders_b PARTITION OF orders FOR VALUES FROM ('2026-03-01') TO ('2026-05-01');
       INSERT INTO orders SELECT g, CASE WHEN g % 200 = 0 THEN 'pending' WHEN g % 200 = 1 THEN 'failed' ELSE 'done' END,
              timestamptz '2026-01-01' + (g % 119) * interval '1 day', g % 1000
         FROM generate_series(1, 200000) g;
       ANALYZE orders;
       SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);
       SELECT pg_qualstats_reset();`,
    );
    const c = new pg.Client({ connectionString: t.url });
    await c.connect();
    try {
      for (let i = 0; i < 20; i++) await c.query(QUERY, ['pending', '2026-02-15', '2026-03-15']);
    } finally {
      await c.end();
    }
    r = await report(t.url);
  }, 180_000);

  afterAll(async () => {
    await t?.drop();
  });

  it('plans with the sampled rare value, shows it, and recommends on the parent', () => {
    const rec = r.indexRecommendations.find((x) => x.table === 'public.orders');
    expect(rec, JSON.stringify(r.indexRecommendations.map((x) => x.createSql))).toBeDefined();
    expect(rec!.validated).toBe(true);
    const q = rec!.affectedQueries.find((a) => a.query.includes('FROM orders'))!;
    expect(q.assumedValues).toEqual(expect.arrayContaining(["status = 'pending'::text"]));
    expect(q.assumedValues).not.toContain('status = <withheld>');
    expect(rec!.evidence).toMatch(/status = 'pending'::text \(100% of \d+ sampled\)/);
    expect(q.costAfter!).toBeLessThan(q.costBefore / 5);
  });
});
