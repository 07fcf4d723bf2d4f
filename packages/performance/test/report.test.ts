import { Writable } from 'node:stream';
import { createDatabase, createLogger, createMetrics, type Database, withDatabase } from '@voicehive/db-core';
import {
  createRandom,
  createTestDatabase,
  getSharedPostgres,
  HOTEL_MISSING_INDEXES,
  HOTEL_TINY_TABLES,
  hotelQueries,
  loadHotelWorkload,
  type PostgresServer,
  readHotelWorkloadInfo,
  requireComponent,
  runHotelWorkload,
  type TestDatabase,
} from '@voicehive/db-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdvisor } from '../src/advisor/advisor.js';
import { loadIndexes, loadTables } from '../src/catalog/catalog.js';
import { DatabasePerformanceOptimizer, type PerformanceReport, type SlowQueryEvent } from '../src/index.js';
import type { StatementStats } from '../src/monitor/statements.js';
import { resolveOptions } from '../src/options.js';
import { exec } from './helpers.js';

/*
 * Scale 3 of the hotel workload: guests 1,500, bookings 3,000, payments
 * 3,000, call_sessions 1,800, call_events 14,400 rows; hotels (50),
 * room_types (8) and rooms (300) stay below the advisor's default
 * minTableRows of 1,000. Scale 1 would put guests (500) under that
 * threshold too, so the email lookup could never be recommended.
 */
const SCALE = 3;
const SECRET_EMAIL = 'secret.guest@example.com';

// Top-level: the hypopg gate must be known when the tests are collected.
const server: PostgresServer = await getSharedPostgres();
const hasHypopg = server.hasHypopg;
let testDb: TestDatabase;
let db: Database;
const logLines: string[] = [];
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  }),
});

/** Sum of EXPLAIN total cost of every read statement of the workload, with real parameters (independent of the advisor). */
async function workloadCost(url: string): Promise<{ cost: number; ms: number }> {
  const info = (await readHotelWorkloadInfo(url))!;
  const rng = createRandom(7);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let cost = 0;
  let ms = 0;
  try {
    for (const q of hotelQueries.filter((x) => x.kind === 'read')) {
      for (let i = 0; i < 5; i++) {
        const params = q.params(rng, info);
        const plan = await client.query(`EXPLAIN (FORMAT JSON) ${q.sql}`, params);
        cost += (plan.rows[0]['QUERY PLAN'] as { Plan: { 'Total Cost': number } }[])[0]!.Plan['Total Cost'];
        const started = performance.now();
        await client.query(q.sql, params);
        ms += performance.now() - started;
      }
    }
  } finally {
    await client.end();
  }
  return { cost, ms };
}

const serves = (
  rec: { table: string; columns: string[] },
  missing: { table: string; columns: readonly string[] },
): boolean =>
  rec.table === `public.${missing.table}` &&
  // An all-ascending recommendation also serves a DESC column: the B-tree is read backwards.
  missing.columns.every((c, i) => rec.columns[i] === c || rec.columns[i] === c.replace(/ DESC$/, ''));

let report: PerformanceReport;
const slowEvents: SlowQueryEvent[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase(server);
  await loadHotelWorkload(testDb.url, { scale: SCALE, seed: 1 });
  // Planted: an exact duplicate, a prefix-redundant index, and one the workload never uses.
  await exec(
    testDb.url,
    `CREATE INDEX bookings_hotel_id_dup ON bookings (hotel_id);
     CREATE INDEX call_events_seq_event_idx ON call_events (seq, event_type);
     CREATE INDEX call_events_seq_idx ON call_events (seq);
     CREATE INDEX guests_loyalty_tier_idx ON guests (loyalty_tier);
     CREATE TABLE scratch (a int, b int); INSERT INTO scratch SELECT g, g % 100 FROM generate_series(1, 5000) g;
     CREATE TABLE correlated (a int, b int); INSERT INTO correlated SELECT g % 100, g % 100 FROM generate_series(1, 50000) g;
     ANALYZE;
     SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);`,
  );
  await runHotelWorkload(testDb.url, { iterations: 20, seed: 3 });
  // A statement whose column is dropped afterwards: it stays in pg_stat_statements and fails EXPLAIN.
  for (let i = 0; i < 3; i++) await exec(testDb.url, 'SELECT a FROM scratch WHERE b = $1', [i]);
  await exec(testDb.url, 'ALTER TABLE scratch DROP COLUMN b');
  // A slow statement carrying a literal e-mail address, which must never surface.
  await exec(testDb.url, `SELECT count(*), pg_sleep(0.3) FROM guests WHERE email = '${SECRET_EMAIL}'`);
  db = createDatabase(testDb.url, { logger });
  const optimizer = new DatabasePerformanceOptimizer(db, {
    logger,
    slowQueries: { warningMs: 250, criticalMs: 1000 },
    analysis: { largeTableRows: 2000 },
  });
  optimizer.on('slowQuery', (e) => slowEvents.push(e));
  report = await optimizer.getPerformanceReport();
  await optimizer.close();
}, 180_000);

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe('index advisor on the hotel workload', () => {
  it.skipIf(!requireComponent('hypopg', hasHypopg))(
    'recommends every index in HOTEL_MISSING_INDEXES, validated by the planner',
    () => {
      // bookings(status, check_in_date), guests(email), call_sessions(hotel_id, started_at DESC),
      // payments(booking_id …), call_events(call_session_id …): a recommendation serves a missing
      // index when its leading columns are that index's columns in order (a wider index such as
      // payments(booking_id, created_at) also removes the sort).
      expect(report.advisor.mode).toBe('hypopg');
      const recs = report.indexRecommendations;
      for (const missing of HOTEL_MISSING_INDEXES) {
        expect(
          recs.some((r) => serves(r, missing)),
          `${missing.table}(${missing.columns.join(', ')}) in ${JSON.stringify(recs.map((r) => `${r.table}(${r.columns})`))}`,
        ).toBe(true);
      }
      for (const r of recs) {
        expect(r.validated).toBe(true);
        expect(r.createSql).toMatch(/^CREATE INDEX CONCURRENTLY ON "public"\."\w+" \(/);
        expect(r.estimatedSizeBytes).toBeGreaterThan(0);
        expect(r.estimatedCostReduction).toBeGreaterThan(0);
        expect([1, 2, 3]).toContain(r.priority);
        expect(r.affectedQueries.length).toBeGreaterThan(0);
      }
      expect(report.advisor.weightedCostWithRecommendations!).toBeLessThan(report.advisor.weightedBaselineCost! * 0.5);
    },
  );

  it('recommends nothing for tiny tables or columns an existing index already covers', () => {
    for (const tiny of HOTEL_TINY_TABLES) {
      expect(report.indexRecommendations.some((r) => r.table === `public.${tiny}`)).toBe(false);
      expect(report.advisor.skipped.smallTables).toContain(`public.${tiny}`);
    }
    // bookings.guest_id and bookings.id have indexes: candidates for them are dropped as covered.
    expect(report.advisor.skipped.coveredCandidates).toEqual(
      expect.arrayContaining(['public.bookings(guest_id)', 'public.guests(id)']),
    );
    expect(
      report.indexRecommendations.some((r) => r.table === 'public.bookings' && r.columns.join() === 'guest_id'),
    ).toBe(false);
  });

  it('skips a statement that fails EXPLAIN and reports it', () => {
    const failed = report.advisor.skipped.explainFailed;
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.some((f) => /column "b" does not exist/.test(f.error))).toBe(true);
    expect(report.warnings.some((w) => /failed EXPLAIN/.test(w))).toBe(true);
  });

  it.skipIf(!requireComponent('hypopg', hasHypopg))(
    'lowers the workload EXPLAIN cost once the recommendations are created for real',
    async () => {
      const before = await workloadCost(testDb.url);
      for (const r of report.indexRecommendations) await exec(testDb.url, r.createSql);
      await exec(testDb.url, 'ANALYZE');
      const after = await workloadCost(testDb.url);
      // Time is recorded, not asserted (shared machine): see the RESULTS in bench/performance.
      process.stdout.write(
        `[performance] workload EXPLAIN cost ${before.cost.toFixed(0)} -> ${after.cost.toFixed(0)}, measured ${before.ms.toFixed(1)} ms -> ${after.ms.toFixed(1)} ms\n`,
      );
      expect(after.cost).toBeLessThan(before.cost * 0.5);
    },
  );
});

describe('index health', () => {
  it('reports planted duplicate, prefix-redundant and unused indexes, never constraint indexes', () => {
    const dup = report.duplicateIndexes.map((d) => `${d.index}<${d.coveredBy}:${d.kind}`);
    expect(dup).toContain('bookings_hotel_id_dup<bookings_hotel_id_idx:exact');
    expect(dup).toContain('call_events_seq_idx<call_events_seq_event_idx:prefix');
    const unused = report.unusedIndexes.map((u) => u.index);
    expect(unused).toEqual(expect.arrayContaining(['guests_loyalty_tier_idx', 'call_events_seq_idx']));
    expect(unused.some((u) => u.endsWith('_pkey') || u.endsWith('_key'))).toBe(false);
    expect(report.unusedIndexes[0]!.dropSql).toMatch(/^DROP INDEX CONCURRENTLY "public"\./);
    // Hidden from the planner (the harness role is a superuser), the workload does not miss these indexes.
    expect(report.advisor.dropAnalysis).toBe('done');
    const loyalty = report.unusedIndexes.find((u) => u.index === 'guests_loyalty_tier_idx')!;
    expect(loyalty.workloadCostIncreaseIfDropped).toBe(0);
    expect(loyalty.slowerIfDropped).toEqual([]);
    const prefix = report.duplicateIndexes.find((d) => d.index === 'call_events_seq_idx')!;
    expect(prefix.slowerIfDropped).toEqual([]);
  });

  it('reports foreign keys without an index, but not those a composite index leads with', () => {
    const fks = report.missingFkIndexes.map((f) => `${f.table}.${f.columns.join(',')}`);
    expect(fks).toEqual(
      expect.arrayContaining(['payments.booking_id', 'call_events.call_session_id', 'call_sessions.hotel_id']),
    );
    // rooms.hotel_id is covered by the UNIQUE (hotel_id, room_number) constraint's index.
    expect(fks).not.toContain('rooms.hotel_id');
    expect(fks).not.toContain('bookings.guest_id');
  });

  it('fills cache, connections, bloat, sequences, wraparound and seq-scan sections', () => {
    expect(report.cacheHitRatio!.tables).toBeGreaterThan(0);
    expect(report.cacheHitRatio!.tables).toBeLessThanOrEqual(1);
    expect(report.connections!.maxConnections).toBeGreaterThan(0);
    expect(report.connections!.total).toBeGreaterThanOrEqual(1);
    // reserved_connections arrived in PG16; on 15 the setting is absent and counts as 0.
    expect(report.connections!.reserved).toBe(0);
    expect(report.bloat).not.toBeNull();
    expect(report.sequences!.unreadable).toBe(0);
    expect(report.wraparound!.xidAge).toBeGreaterThan(0);
    expect(report.wraparound!.xidRemaining).toBeGreaterThan(2_000_000_000);
    expect(Array.isArray(report.seqScanHeavyTables)).toBe(true);
  });
});

describe('query monitoring', () => {
  it('lists top and slow queries with normalised text, and emits slow_query_detected', () => {
    expect(report.topQueries.length).toBeGreaterThan(5);
    const slow = report.slowQueries.find((s) => s.query.includes('pg_sleep'));
    expect(slow).toBeDefined();
    expect(slow!.severity).toBe('warning');
    expect(slow!.table).toBe('guests');
    const event = slowEvents.find((e) => e.queryHash === slow!.queryHash);
    expect(event).toMatchObject({ table: 'guests', severity: 'warning' });
    const line = logLines
      .map((l) => JSON.parse(l))
      .find((l) => l.event === 'slow_query_detected' && l.queryHash === slow!.queryHash);
    expect(line).toMatchObject({ table: 'guests' });
    expect(line.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('never shows a literal value such as an e-mail address', () => {
    expect(JSON.stringify(report)).not.toContain(SECRET_EMAIL);
    expect(logLines.join('')).not.toContain(SECRET_EMAIL);
  });

  it('finds plan problems in the costliest statements', () => {
    const kinds = new Set(report.queryFindings.map((f) => f.kind));
    expect(kinds.has('seq_scan_large_table')).toBe(true);
    const f = report.queryFindings.find((x) => x.kind === 'seq_scan_large_table')!;
    expect(f.node).toMatch(/^Seq Scan on public\./);
    expect(f.why.length).toBeGreaterThan(10);
    expect(f.fix.length).toBeGreaterThan(10);
  });

  it('sees long-running sessions with normalised text and keeps snapshots without resetting', async () => {
    const optimizer = new DatabasePerformanceOptimizer(testDb.url, {
      health: { longRunningMs: 200 },
      slowQueries: { warningMs: 100 },
      snapshotTable: 'perf_history',
    });
    const first = await optimizer.takeSnapshot();
    expect(first.deltas).toEqual([]);
    // Long enough to outlast a full report on a loaded machine (the advisor plans the whole workload first).
    const sleeper = exec(testDb.url, `SELECT pg_sleep(3) WHERE '${SECRET_EMAIL}' <> ''`);
    // Handled now: it may fail while the test is still polling below.
    sleeper.catch(() => {});
    // Wait until the sleep really runs and is past longRunningMs (a fixed delay may not be enough under load).
    for (let i = 0; i < 200; i++) {
      const { rows } = await exec(
        testDb.url,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%' AND state = 'active' AND now() - query_start > interval '300 milliseconds'",
      );
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const live = await optimizer.getPerformanceReport();
    await sleeper;
    const running = live.activity!.longRunning.find((s) => s.query.includes('pg_sleep'));
    expect(running).toBeDefined();
    expect(running!.query).not.toContain(SECRET_EMAIL);
    const second = await optimizer.takeSnapshot();
    const delta = second.deltas.find((d) => d.query.startsWith('SELECT pg_sleep'));
    expect(delta?.calls).toBe(1);
    expect(second.slow.some((s) => s.queryHash === delta!.queryid)).toBe(true);
    const stillThere = await exec(
      testDb.url,
      'SELECT sum(calls)::int AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
    );
    expect(stillThere.rows[0].n).toBeGreaterThan(100);
    const history = await exec(
      testDb.url,
      'SELECT count(DISTINCT taken_at)::int AS snaps, sum(calls)::int AS calls FROM perf_history',
    );
    expect(history.rows[0].snaps).toBe(1);
    expect(history.rows[0].calls).toBeGreaterThanOrEqual(1);
    expect(() => new DatabasePerformanceOptimizer(testDb.url, { snapshotTable: 'x; DROP TABLE guests' })).toThrow(
      /snapshotTable/,
    );
    await optimizer.close();
  });

  it('exports bounded metrics; query text only in db_query_info, normalised', async () => {
    const metrics = createMetrics();
    const optimizer = new DatabasePerformanceOptimizer(db, { metrics, metricsTopQueries: 3 });
    await optimizer.getPerformanceReport();
    const text = await metrics.text();
    expect(text).toContain('voicehive_db_query_duration_seconds{queryid=');
    expect(text).toMatch(/voicehive_db_connection_pool_size\{state="total"\} \d+/);
    expect(text).toContain('voicehive_db_cache_hit_ratio{kind="tables"}');
    expect(text).toContain('voicehive_db_index_usage_ratio{table=');
    expect(text.match(/voicehive_db_query_calls\{/g)!.length).toBeLessThanOrEqual(3);
    // Only the info series (one per exported query id) carries text, normalised: no literal reaches a label.
    const info = text.split('\n').filter((l) => l.startsWith('voicehive_db_query_info{'));
    expect(info.length).toBeGreaterThan(0);
    expect(info.length).toBeLessThanOrEqual(3);
    expect(info.join('\n')).not.toContain(SECRET_EMAIL);
    const others = text.split('\n').filter((l) => !l.startsWith('voicehive_db_query_info{') && !l.startsWith('#'));
    expect(others.join('\n')).not.toContain('SELECT');
    await optimizer.close();
    // The optimizer did not own the Database: it still works.
    await expect(db.query('SELECT 1')).resolves.toBeDefined();
  });

  it('aborts a report and refuses use after close', async () => {
    const optimizer = new DatabasePerformanceOptimizer(testDb.url);
    const controller = new AbortController();
    controller.abort();
    await expect(optimizer.getPerformanceReport({ signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await optimizer[Symbol.asyncDispose]();
    await expect(optimizer.getPerformanceReport()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('live sessions and EXPLAIN ANALYZE', () => {
  it('reports a blocked session with its blocker and the idle-in-transaction blocker', async () => {
    const holder = new pg.Client({ connectionString: testDb.url });
    const waiter = new pg.Client({ connectionString: testDb.url });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE scratch IN ACCESS EXCLUSIVE MODE');
      const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const waiterPid = (await waiter.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const waiting = waiter.query('SELECT count(*) FROM scratch').catch(() => undefined);
      // Wait until the waiter is really queued on the lock (a fixed delay may not be enough under load).
      for (let i = 0; i < 200; i++) {
        const { rows } = await exec(
          testDb.url,
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
          [waiterPid],
        );
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const optimizer = new DatabasePerformanceOptimizer(db, {
        health: { idleInTransactionMs: 0 },
        advisor: { maxStatements: 1 },
      });
      const r = await optimizer.getPerformanceReport();
      const blocked = r.activity!.blocked.find((b) => b.query.includes('scratch'));
      expect(blocked?.blockedBy).toContain(holderPid);
      expect(r.activity!.idleInTransaction.map((s) => s.pid)).toContain(holderPid);
      await holder.query('ROLLBACK');
      await waiting;
      await optimizer.close();
    } finally {
      await holder.end();
      await waiter.end();
    }
  });

  it('finds row-estimate errors with EXPLAIN ANALYZE only when allowed, and says which ANALYZE to run', async () => {
    await exec(testDb.url, 'ANALYZE correlated');
    // a = b on correlated columns: the planner assumes 0.5% of the rows, all of them match.
    await exec(testDb.url, 'SELECT count(*) FROM correlated WHERE a = b');
    const options = { analysis: { topStatements: 500 }, advisor: { maxStatements: 500 } };
    const plain = new DatabasePerformanceOptimizer(db, options);
    expect((await plain.getPerformanceReport()).queryFindings.some((f) => f.kind === 'estimate_error')).toBe(false);
    await plain.close();
    const analyzing = new DatabasePerformanceOptimizer(db, {
      ...options,
      analysis: { ...options.analysis, allowExplainAnalyze: true },
    });
    const found = (await analyzing.getPerformanceReport()).queryFindings.find((f) => f.kind === 'estimate_error');
    expect(found).toMatchObject({
      node: 'Seq Scan on public.correlated',
      fix: expect.stringMatching(/^ANALYZE "public"\."correlated"/),
    });
    expect(found!.why).toMatch(/Planned \d+ rows, got 50000/);
    // Statements calling functions with side effects are never executed by EXPLAIN ANALYZE.
    const calls = await exec(
      testDb.url,
      "SELECT count(*)::int AS n FROM pg_stat_statements WHERE query LIKE 'EXPLAIN (FORMAT JSON, ANALYZE%pg_stat_statements_reset%'",
    );
    expect(calls.rows[0].n).toBe(0);
    // …so the workload's statistics are still there (the reset in beforeAll was not re-run).
    const kept = await exec(
      testDb.url,
      "SELECT max(calls)::int AS n FROM pg_stat_statements WHERE query LIKE 'SELECT id, first_name, last_name, loyalty_tier FROM guests%'",
    );
    expect(kept.rows[0].n).toBeGreaterThanOrEqual(20);
    await analyzing.close();
  });
});

describe('bad input', () => {
  it('skips unparseable or truncated statement text with a count', async () => {
    const stat = (queryid: string, query: string): StatementStats => ({
      queryid,
      userid: 10,
      toplevel: true,
      query,
      calls: 5,
      totalExecMs: 50,
      totalPlanMs: 0,
      meanExecMs: 10,
      maxExecMs: 10,
      rows: 5,
      sharedBlksHit: 0,
      sharedBlksRead: 0,
      tempBlksWritten: 0,
      blkReadTimeMs: 0,
      blkWriteTimeMs: 0,
    });
    const result = await runAdvisor(
      [
        stat('1', 'SELECT id FROM guests WHERE email = $1 AND (first_name = $2'),
        stat('2', '<insufficient privilege>'),
        stat('3', 'SELECT id FROM guests WHERE email = $1'),
      ],
      {
        db,
        options: resolveOptions(),
        logger,
        tables: await loadTables(db),
        indexes: await loadIndexes(db),
        session: undefined,
        dropCandidates: [],
      },
    );
    expect(result.skipped.unparseable).toBe(2);
    expect(result.workload.statements).toBe(1);
    expect(result.mode).toBe('heuristic');
    expect(result.recommendations.every((r) => r.validated === false)).toBe(true);
  });

  it('without pg_stat_statements says how to enable it and returns the rest', async () => {
    const bare = await createTestDatabase(server, { template: 'template0' });
    try {
      const optimizer = new DatabasePerformanceOptimizer(bare.url);
      const r = await optimizer.getPerformanceReport();
      expect(r.warnings.join('\n')).toMatch(/shared_preload_libraries.*CREATE EXTENSION pg_stat_statements/s);
      expect(r.topQueries).toEqual([]);
      expect(r.advisor.mode).toBe('unavailable');
      expect(r.connections!.maxConnections).toBeGreaterThan(0);
      expect(r.wraparound).not.toBeNull();
      await expect(optimizer.takeSnapshot()).rejects.toMatchObject({ code: 'EXTENSION_MISSING' });
      await optimizer.close();
    } finally {
      await bare.drop();
    }
  });

  it('reports an unreachable pgBouncer in its section and still completes', async () => {
    const optimizer = new DatabasePerformanceOptimizer(db, {
      pgbouncerAdminUrl: 'postgres://postgres:hunter2@127.0.0.1:1/pgbouncer',
    });
    const r = await optimizer.getPerformanceReport();
    expect(r.pgbouncer!.snapshot).toBeNull();
    expect(r.pgbouncer!.error).toMatch(/PgBouncer admin console/);
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(r.topQueries.length).toBeGreaterThan(0);
    await optimizer.close();
  });
});

describe('least privilege', () => {
  it('works as a role with only pg_monitor and lists what it cannot see', async () => {
    await exec(
      testDb.url,
      `DROP ROLE IF EXISTS perf_monitor_only; CREATE ROLE perf_monitor_only LOGIN; GRANT pg_monitor TO perf_monitor_only`,
    );
    const url = new URL(testDb.url);
    url.username = 'perf_monitor_only';
    url.password = '';
    const optimizer = new DatabasePerformanceOptimizer(url);
    const r = await optimizer.getPerformanceReport();
    expect(r.capabilities.pgMonitor).toBe(true);
    expect(r.capabilities.superuser).toBe(false);
    expect(r.topQueries.length).toBeGreaterThan(5);
    expect(r.topQueries.every((q) => q.query !== '<insufficient privilege>')).toBe(true);
    expect(r.unusedIndexes.map((u) => u.index)).toContain('guests_loyalty_tier_idx');
    expect(r.capabilities.canExplain).toBe(false);
    // pg_qualstats() and its view are granted to PUBLIC: a monitoring role reads it without failing the section.
    expect(r.warnings.filter((w) => w.startsWith('pg_qualstats:'))).toEqual([]);
    if (server.hasQualstats) expect(r.advisor.qualstats?.predicates).toBeGreaterThan(0);
    expect(r.warnings.some((w) => /permission denied.*GRANT SELECT/s.test(w))).toBe(true);
    expect(r.indexRecommendations).toEqual([]);
    expect(r.connections).not.toBeNull();
    expect(r.cacheHitRatio).not.toBeNull();
    await optimizer.close();
    void withDatabase;
  });
});
