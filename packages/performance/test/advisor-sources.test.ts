import {
  createTestDatabase,
  getSharedPostgres,
  HOTEL_MISSING_INDEXES,
  loadHotelWorkload,
  type PostgresServer,
  requireComponent,
  runHotelWorkload,
  type TestDatabase,
} from '@voicehive/db-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PerformanceReport } from '../src/index.js';
import { exec, report } from './helpers.js';

/*
 * Where the advisor's knowledge comes from besides statement text:
 * pg_qualstats (predicates seen at run time), the heuristic when hypopg is
 * missing, and what the report says when hypopg cannot hide indexes.
 */

const server: PostgresServer = await getSharedPostgres();

/*
 * tickets: 40,000 rows, tenant_id has 400 values, status 4. The workload only
 * reads tickets through a view, so the statement text names `open_tickets`,
 * which is no table: the parser alone learns nothing. pg_qualstats sees the
 * predicates on the base table (tenant_id = …, status = 'open').
 */
describe('tickets read through a view', () => {
  let tickets: TestDatabase;
  const VIEW_QUERY = 'SELECT id, subject FROM open_tickets WHERE tenant_id = $1';

  beforeAll(async () => {
    tickets = await createTestDatabase(server);
    await exec(
      tickets.url,
      `CREATE TABLE tickets (id serial PRIMARY KEY, tenant_id int NOT NULL, status text NOT NULL, subject text NOT NULL);
       INSERT INTO tickets (tenant_id, status, subject)
         SELECT g % 400, (ARRAY['open', 'pending', 'solved', 'closed'])[g % 4 + 1], 'subject ' || g
           FROM generate_series(1, 40000) g;
       CREATE VIEW open_tickets AS SELECT * FROM tickets WHERE status = 'open';
       -- Never used by the workload: the drop analysis has something to look at.
       CREATE INDEX tickets_subject_idx ON tickets (subject);
       ANALYZE tickets;
       -- The bulk load is not workload: left in pg_stat_statements it would charge 40,000 written rows to any index.
       SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);`,
    );
    const client = new pg.Client({ connectionString: tickets.url });
    await client.connect();
    try {
      for (let i = 0; i < 30; i++) await client.query(VIEW_QUERY, [i * 7]);
    } finally {
      await client.end();
    }
  }, 60_000);

  afterAll(async () => {
    await tickets?.drop();
  });

  it.skipIf(!requireComponent('pg_qualstats', server.hasQualstats) || !requireComponent('hypopg', server.hasHypopg))(
    'learns the predicates behind a view from pg_qualstats, and cites its counts as evidence',
    async () => {
      const queryid = (
        await exec(
          tickets.url,
          `SELECT queryid::text AS id FROM pg_stat_statements
            WHERE query = $1 AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [VIEW_QUERY],
        )
      ).rows[0]?.id as string;
      expect(queryid).toBeDefined();

      // Without pg_qualstats the statement names only a view: no index can be proposed for tickets.
      const textOnly = await report(tickets.url, { useQualstats: false });
      expect(textOnly.advisor.mode).toBe('hypopg');
      expect(textOnly.advisor.qualstats).toBeNull();
      expect(textOnly.indexRecommendations.filter((r) => r.table === 'public.tickets')).toEqual([]);

      const withQualstats = await report(tickets.url);
      expect(withQualstats.advisor.qualstats).toMatchObject({ sampleRate: 1 });
      expect(withQualstats.advisor.qualstats!.columnsAdded).toBeGreaterThanOrEqual(2);
      const rec = withQualstats.indexRecommendations.find((r) => r.table === 'public.tickets');
      expect(rec, JSON.stringify(withQualstats.indexRecommendations)).toBeDefined();
      // tenant_id (400 values) is more selective than status (4 values), so it leads.
      expect(rec!.columns[0]).toBe('tenant_id');
      expect(rec!.validated).toBe(true);
      expect(rec!.affectedQueries.map((q) => q.queryHash)).toContain(queryid);

      // The evidence quotes pg_qualstats' own numbers for the view statement.
      const seen = (
        await exec(
          tickets.url,
          `SELECT sum(q.execution_count)::bigint AS rows, sum(q.nbfiltered)::float8 / sum(q.execution_count) AS removed
             FROM pg_qualstats q JOIN pg_attribute a ON a.attrelid = q.lrelid AND a.attnum = q.lattnum
            WHERE q.queryid = $1::bigint AND q.lrelid = 'tickets'::regclass AND a.attname = 'tenant_id'`,
          [queryid],
        )
      ).rows[0] as { rows: string; removed: number };
      expect(Number(seen.rows)).toBeGreaterThan(0);
      expect(rec!.evidence).toContain(
        `pg_qualstats: tenant_id = evaluated on ${seen.rows} row(s), removing ${(seen.removed * 100).toFixed(1)}% (with the conditions ANDed to it) as a filter (no index served it)`,
      );
    },
  );

  it.skipIf(!requireComponent('hypopg', server.hasHypopg))(
    'hides indexes with hypopg_hide_index when hypopg has it, else by a rolled-back pg_index update, and says which',
    async () => {
      const installed = (await exec(tickets.url, "SELECT extversion FROM pg_extension WHERE extname = 'hypopg'"))
        .rows[0]?.extversion as string;
      const [major, minor] = installed.split('.').map(Number) as [number, number];
      const canHide = major > 1 || minor >= 4;

      // The harness connects as a superuser on a primary: `auto` always gets a way to hide.
      const r = await report(tickets.url);
      expect(r.advisor.dropAnalysis).toBe('done');
      expect(r.advisor.dropAnalysisMethod).toBe(canHide ? 'hypopg_hide_index' : 'pg_index');
      expect(r.advisor.dropAnalysisFailed).toEqual([]);
      const unused = r.unusedIndexes.find((u) => u.index === 'tickets_subject_idx')!;
      expect(unused.workloadCostIncreaseIfDropped).toBe(0);
      expect(unused.slowerIfDropped).toEqual([]);
      // Nothing of the rolled-back update is left behind.
      const valid = await exec(
        tickets.url,
        "SELECT bool_and(indisvalid) AS ok FROM pg_index WHERE indrelid = 'tickets'::regclass",
      );
      expect(valid.rows[0].ok).toBe(true);

      // hypopg only: with Debian 12's hypopg 1.3.1 there is no way to hide, and the report names the versions.
      const strict = await report(tickets.url, { dropAnalysisMethod: 'hypopg' });
      const strictUnused = strict.unusedIndexes.find((u) => u.index === 'tickets_subject_idx')!;
      if (canHide) {
        expect(strict.advisor.dropAnalysisMethod).toBe('hypopg_hide_index');
        expect(strictUnused.workloadCostIncreaseIfDropped).toBe(0);
      } else {
        expect(strict.advisor.dropAnalysis).toBe('unsupported');
        const warning = strict.warnings.find((w) => /hypopg_hide_index/.test(w));
        expect(warning).toContain(`hypopg ${installed} has no hypopg_hide_index, which needs hypopg 1.4 or newer`);
        expect(warning).toContain("dropAnalysisMethod is 'hypopg'");
        expect(strictUnused.workloadCostIncreaseIfDropped).toBeUndefined();
      }

      const r2 = await report(tickets.url, { dropAnalysis: false });
      expect(r2.advisor.dropAnalysis).toBe('off');
      expect(r2.advisor.dropAnalysisMethod).toBeNull();
      expect(r2.warnings.some((w) => /hypopg_hide_index/.test(w))).toBe(false);
    },
  );
});

/*
 * The hotel workload (scale 3) in a database where hypopg was dropped, as on
 * a managed service without it. The advisor must not create it, and must
 * still find the equality lookups the workload lacks: guests(email),
 * payments(booking_id) and call_events(call_session_id).
 */
describe('heuristic mode: a full report without hypopg', () => {
  let hotel: TestDatabase;
  let r: PerformanceReport;
  /** The same without pg_qualstats: statistics (pg_stats) only, as on most managed databases. */
  let statsOnly: PerformanceReport;

  beforeAll(async () => {
    hotel = await createTestDatabase(server);
    await exec(hotel.url, 'DROP EXTENSION IF EXISTS hypopg');
    await loadHotelWorkload(hotel.url, { scale: 3, seed: 1 });
    await exec(
      hotel.url,
      'SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)',
    );
    await runHotelWorkload(hotel.url, { iterations: 20, seed: 3 });
    r = await report(hotel.url);
    statsOnly = await report(hotel.url, { useQualstats: false });
  }, 120_000);

  afterAll(async () => {
    await hotel?.drop();
  });

  it('marks every recommendation unvalidated and says how to get hypopg', async () => {
    expect(r.advisor.mode).toBe('heuristic');
    expect(r.capabilities.hypopg.installed).toBe(false);
    const warning = r.warnings.find((w) => /hypopg/.test(w) && /heuristic/.test(w));
    expect(warning).toBeDefined();
    expect(warning).toMatch(
      server.hasHypopg
        ? /run CREATE EXTENSION hypopg/
        : /apt-get install postgresql-\d+-hypopg.*CREATE EXTENSION hypopg/,
    );
    // The advisor did not create the extension behind the user's back.
    const created = await exec(hotel.url, "SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'hypopg'");
    expect(created.rows[0].n).toBe(0);
    expect(r.indexRecommendations.length).toBeGreaterThan(0);
    for (const rec of r.indexRecommendations) {
      expect(rec.validated).toBe(false);
      expect(rec.estimatedCostReduction).toBeNull();
      expect(rec.estimatedSizeBytes).toBeNull();
      expect(rec.evidence).toMatch(/^Heuristic \(no hypopg\)/);
      expect(rec.createSql).toMatch(/^CREATE INDEX CONCURRENTLY ON "public"\./);
    }
  });

  it('still finds the equality lookups the workload is missing', () => {
    const equality = HOTEL_MISSING_INDEXES.filter((m) => m.columns.length === 1);
    expect(equality.map((m) => `${m.table}(${m.columns})`)).toEqual([
      'guests(email)',
      'payments(booking_id)',
      'call_events(call_session_id)',
    ]);
    for (const found of [r, statsOnly]) {
      expect(found.advisor.mode).toBe('heuristic');
      for (const missing of equality) {
        expect(
          found.indexRecommendations.some(
            (rec) => rec.table === `public.${missing.table}` && rec.columns[0] === missing.columns[0],
          ),
          `${missing.table}(${missing.columns}) in ${JSON.stringify(found.indexRecommendations.map((x) => `${x.table}(${x.columns})`))}`,
        ).toBe(true);
      }
    }
    expect(statsOnly.advisor.qualstats).toBeNull();
    expect(statsOnly.indexRecommendations.every((x) => /\(pg_stats\)/.test(x.evidence))).toBe(true);
  });

  it.skipIf(!requireComponent('pg_qualstats', server.hasQualstats))(
    'uses the selectivity pg_qualstats observed and quotes it',
    () => {
      const email = r.indexRecommendations.find((x) => x.table === 'public.guests' && x.columns[0] === 'email');
      expect(email!.evidence).toMatch(/rows per lookup \(observed by pg_qualstats\)/);
      expect(email!.evidence).toMatch(/pg_qualstats: email = evaluated on \d+ row\(s\), removing 99\.\d% as a filter/);
      expect(r.advisor.qualstats!.statements).toBeGreaterThan(0);
    },
  );
});

describe('marginal recommendations', () => {
  // Reuses nothing from the suites above: its own small database, so it runs with or without pg_qualstats.
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(server);
    await exec(
      db.url,
      `CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL, total numeric NOT NULL);
       INSERT INTO orders (customer_id, total) SELECT g % 40000, g FROM generate_series(1, 400000) g;
       CREATE TABLE audit (id serial PRIMARY KEY, ticket_id int NOT NULL, at timestamptz NOT NULL);
       INSERT INTO audit (ticket_id, at)
         SELECT g % 200, timestamptz '2026-01-01' + g * interval '1 minute' FROM generate_series(1, 5000) g;
       CREATE INDEX audit_ticket_id_idx ON audit (ticket_id);
       ANALYZE orders, audit;
       SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);`,
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // The bulk of the workload: a lookup by an unindexed column of a 400,000-row table (~7,000 cost units each).
      for (let i = 0; i < 100; i++) await client.query('SELECT id, total FROM orders WHERE customer_id = $1', [i]);
      // Once: the newest audit row of a ticket, which a widened (ticket_id, at DESC) index would serve without a sort.
      await client.query('SELECT id, at FROM audit WHERE ticket_id = $1 ORDER BY at DESC LIMIT 1', [7]);
    } finally {
      await client.end();
    }
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  it.skipIf(!requireComponent('hypopg', server.hasHypopg))(
    'drops a validated index below 0.01% of the workload cost by default, and says so',
    async () => {
      const all = await report(db.url, { minCostReduction: 0 });
      const marginal = all.indexRecommendations.find((r) => r.table === 'public.audit');
      expect(marginal, JSON.stringify(all.indexRecommendations)).toBeDefined();
      expect(marginal!.estimatedCostReduction!).toBeLessThan(0.0001);
      expect(all.indexRecommendations.find((r) => r.table === 'public.orders')?.columns).toEqual(['customer_id']);

      const byDefault = await report(db.url);
      expect(byDefault.indexRecommendations.map((r) => r.table)).toEqual(['public.orders']);
      expect(byDefault.advisor.skipped.belowMinCostReduction).toEqual([
        { index: `public.audit(${marginal!.columns.join(', ')})`, share: expect.any(Number) },
      ]);
      expect(byDefault.advisor.skipped.belowMinCostReduction[0]!.share).toBeGreaterThan(0);
      expect(byDefault.advisor.skipped.belowMinCostReduction[0]!.share).toBeLessThan(0.0001);
      // The dropped index's saving is not claimed in the workload total either.
      expect(byDefault.advisor.weightedCostWithRecommendations!).toBeGreaterThan(
        all.advisor.weightedCostWithRecommendations!,
      );
    },
  );
});
