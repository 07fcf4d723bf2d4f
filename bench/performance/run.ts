// Index advisor quality and report cost benchmark for @voicehive/db-performance.
//
//   scripts/run-source.sh bench/performance/run.ts [--hotel-scale 250] [--events 2000000] [--tables 10000] [--statements 5000] [--only hotel,eventLog,reportAtScale]
//     [--huge-pages on|off] [--out results.json]
//
// It runs from source (no build needed): run-source.sh maps the `.js` imports below to the `.ts` files.
//
// Writes results.json and RESULTS.md next to this file. Three parts:
//  1. the hotel workload (its missing indexes are known), 2. a multi-tenant
//  event log with time-range reports, 3. getPerformanceReport() on a database
//  with many tables and pg_stat_statements entries, counting SQL round trips.
// For 1 and 2 the workload's summed EXPLAIN cost (with real parameter values,
// measured independently of the advisor) and its measured execution time are
// taken before and after creating the recommended indexes for real.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import {
  createRandom,
  createTestDatabase,
  HOTEL_MISSING_INDEXES,
  hotelQueries,
  loadHotelWorkload,
  readHotelWorkloadInfo,
  runHotelWorkload,
  startPostgres,
} from '@voicehive/db-testing';
import { buildScaleDatabase, withClient } from './scale-fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const HOTEL_SCALE = arg('hotel-scale', 250);
const EVENTS = arg('events', 2_000_000);
const TABLES = arg('tables', 10_000);
const STATEMENTS = arg('statements', 5_000);
const log = (m: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${m}\n`);

interface Statement {
  name: string;
  sql: string;
  params: () => unknown[];
}

/** Σ EXPLAIN cost with real parameters and Σ measured time over `reps` executions of each statement (same parameters before and after). */
async function measure(url: string, statements: Statement[], paramSets: unknown[][][], reps: number) {
  return withClient(url, async (c) => {
    let cost = 0;
    let ms = 0;
    const perStatement: Record<string, { cost: number; ms: number }> = {};
    for (const [i, s] of statements.entries()) {
      let sc = 0;
      let sm = 0;
      for (const params of paramSets[i]!) {
        const plan = await c.query(`EXPLAIN (FORMAT JSON) ${s.sql}`, params);
        sc += (plan.rows[0]['QUERY PLAN'] as { Plan: { 'Total Cost': number } }[])[0]!.Plan['Total Cost'];
        for (let r = 0; r < reps; r++) {
          const t = performance.now();
          await c.query(s.sql, params);
          sm += performance.now() - t;
        }
      }
      perStatement[s.name] = { cost: Math.round(sc), ms: Math.round(sm * 10) / 10 };
      cost += sc;
      ms += sm;
    }
    return { cost: Math.round(cost), ms: Math.round(ms), perStatement };
  });
}

async function adviseAndApply(url: string, statements: Statement[], label: string) {
  const paramSets = statements.map((s) => Array.from({ length: 5 }, () => s.params()));
  const before = await measure(url, statements, paramSets, 2);
  log(`${label}: before cost ${before.cost}, ${before.ms} ms`);
  const optimizer = new DatabasePerformanceOptimizer(url, { advisor: { maxIndexes: 10 } });
  const t0 = performance.now();
  const report = await optimizer.getPerformanceReport();
  const reportMs = performance.now() - t0;
  await optimizer.close();
  const recs = report.indexRecommendations;
  log(
    `${label}: ${recs.length} recommendations in ${Math.round(report.advisor.durationMs)} ms (report ${Math.round(reportMs)} ms)`,
  );
  const created: { sql: string; bytes: number; estimatedBytes: number | null; buildMs: number }[] = [];
  await withClient(url, async (c) => {
    for (const r of recs) {
      const t = performance.now();
      await c.query(r.createSql);
      const buildMs = Math.round(performance.now() - t);
      const size = await c.query(
        `SELECT pg_relation_size(i.indexrelid)::int8 AS b FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::regclass ORDER BY c.oid DESC LIMIT 1`,
        [r.table],
      );
      created.push({ sql: r.createSql, bytes: Number(size.rows[0].b), estimatedBytes: r.estimatedSizeBytes, buildMs });
    }
    await c.query('ANALYZE');
  });
  const after = await measure(url, statements, paramSets, 2);
  log(`${label}: after cost ${after.cost}, ${after.ms} ms`);
  return {
    statements: statements.length,
    costBefore: before.cost,
    costAfter: after.cost,
    costReductionPct: Math.round((1 - after.cost / before.cost) * 1000) / 10,
    timeBeforeMs: before.ms,
    timeAfterMs: after.ms,
    advisorMode: report.advisor.mode,
    advisorRuntimeMs: Math.round(report.advisor.durationMs),
    reportRuntimeMs: Math.round(reportMs),
    whatIfCalls: report.advisor.whatIfCalls,
    statementsAnalysed: report.advisor.statementsAnalysed,
    qualstats: report.advisor.qualstats,
    dropAnalysis: report.advisor.dropAnalysis,
    skipped: { ...report.advisor.skipped, explainFailed: report.advisor.skipped.explainFailed.length },
    plannerWeightedCostBefore: Math.round(report.advisor.weightedBaselineCost ?? 0),
    plannerWeightedCostWithRecommendations: Math.round(report.advisor.weightedCostWithRecommendations ?? 0),
    recommendations: recs.map((r) => ({
      table: r.table,
      columns: r.columns,
      priority: r.priority,
      estimatedCostReduction: r.estimatedCostReduction,
    })),
    indexesCreated: created.length,
    indexBytes: created.reduce((s, c) => s + c.bytes, 0),
    created,
    perStatementBefore: before.perStatement,
    perStatementAfter: after.perStatement,
  };
}

async function hotel(serverUrl: { superuserUrl: string }) {
  const db = await createTestDatabase(serverUrl as never);
  log(`hotel: loading scale ${HOTEL_SCALE}`);
  const t = performance.now();
  const loaded = await loadHotelWorkload(db.url, { scale: HOTEL_SCALE, seed: 1 });
  log(`hotel: loaded ${(loaded.bytes / 1e9).toFixed(2)} GB in ${Math.round((performance.now() - t) / 1000)} s`);
  await withClient(db.url, (c) =>
    c.query('SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)'),
  );
  await runHotelWorkload(db.url, { iterations: 5, seed: 3 });
  const info = (await readHotelWorkloadInfo(db.url))!;
  const rng = createRandom(11);
  const reads: Statement[] = hotelQueries
    .filter((q) => q.kind === 'read')
    .map((q) => ({ name: q.name, sql: q.sql, params: () => q.params(rng, info) }));
  const result = await adviseAndApply(db.url, reads, 'hotel');
  const found = HOTEL_MISSING_INDEXES.map((m) => ({
    expected: `${m.table}(${m.columns.join(', ')})`,
    found: result.recommendations.some(
      // An all-ascending recommendation serves a DESC column too: the B-tree is read backwards.
      (r) =>
        r.table === `public.${m.table}` &&
        m.columns.every((c, i) => r.columns[i] === c || r.columns[i] === c.replace(/ DESC$/, '')),
    ),
  }));
  await db.drop();
  return {
    scale: HOTEL_SCALE,
    databaseBytes: loaded.bytes,
    loadSeconds: Math.round(loaded.durationMs / 1000),
    missingIndexesFound: found,
    ...result,
  };
}

async function eventLog(serverUrl: { superuserUrl: string }) {
  const db = await createTestDatabase(serverUrl as never);
  const TENANTS = 200;
  const DAYS = 180;
  log(`events: loading ${EVENTS} rows`);
  const t = performance.now();
  await withClient(db.url, async (c) => {
    await c.query(`
      CREATE TABLE tenants (id int PRIMARY KEY, name text NOT NULL, plan text NOT NULL);
      INSERT INTO tenants SELECT g, 'tenant ' || g, (ARRAY['free','pro','enterprise'])[1 + g % 3] FROM generate_series(1, ${TENANTS}) g;
      CREATE TABLE events (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        tenant_id int NOT NULL REFERENCES tenants (id),
        user_id bigint NOT NULL,
        event_type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        payload jsonb NOT NULL
      );
      INSERT INTO events (tenant_id, user_id, event_type, occurred_at, payload)
      SELECT 1 + (g::int8 * 7919) % ${TENANTS}, 1 + (g::int8 * 104729) % 50000,
             (ARRAY['login','call_started','call_ended','booking','payment','error','transfer','survey'])[1 + g % 8],
             timestamptz '2026-01-01' + ((g::int8 * 37) % (${DAYS} * 86400)) * interval '1 second',
             jsonb_build_object('n', g, 'ok', g % 5 <> 0)
        FROM generate_series(1, ${EVENTS}) g;
      CREATE INDEX events_tenant_id_idx ON events (tenant_id);
      ANALYZE;
      SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);`);
  });
  const bytes = await withClient(db.url, async (c) =>
    Number((await c.query('SELECT pg_database_size(current_database())::int8 AS b')).rows[0].b),
  );
  log(`events: loaded ${(bytes / 1e9).toFixed(2)} GB in ${Math.round((performance.now() - t) / 1000)} s`);
  const rng = createRandom(5);
  const day = (d: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + d * 86_400_000).toISOString();
  const tenant = () => rng.int(1, TENANTS);
  const types = ['login', 'call_started', 'call_ended', 'booking', 'payment', 'error', 'transfer', 'survey'];
  const statements: Statement[] = [
    {
      name: 'tenant_range_count',
      sql: 'SELECT count(*) FROM events WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3',
      params: () => {
        const d = rng.int(0, DAYS - 8);
        return [tenant(), day(d), day(d + 7)];
      },
    },
    {
      name: 'tenant_type_breakdown',
      sql: 'SELECT event_type, count(*) FROM events WHERE tenant_id = $1 AND occurred_at >= $2 GROUP BY event_type',
      params: () => [tenant(), day(rng.int(DAYS - 10, DAYS - 1))],
    },
    {
      name: 'tenant_latest',
      sql: 'SELECT id, event_type, occurred_at FROM events WHERE tenant_id = $1 ORDER BY occurred_at DESC LIMIT 20',
      params: () => [tenant()],
    },
    {
      name: 'user_timeline',
      sql: 'SELECT id, event_type, occurred_at FROM events WHERE tenant_id = $1 AND user_id = $2 ORDER BY occurred_at DESC LIMIT 50',
      params: () => [tenant(), rng.int(1, 50000)],
    },
    {
      name: 'daily_errors',
      sql: "SELECT date_trunc('day', occurred_at) AS d, count(*) FROM events WHERE tenant_id = $1 AND event_type = $2 AND occurred_at BETWEEN $3 AND $4 GROUP BY 1 ORDER BY 1",
      params: () => {
        const d = rng.int(0, DAYS - 31);
        return [tenant(), rng.pick(types), day(d), day(d + 30)];
      },
    },
    { name: 'tenant_by_id', sql: 'SELECT name, plan FROM tenants WHERE id = $1', params: () => [tenant()] },
  ];
  const insert =
    'INSERT INTO events (tenant_id, user_id, event_type, occurred_at, payload) VALUES ($1, $2, $3, $4, $5)';
  await withClient(db.url, async (c) => {
    for (let i = 0; i < 5; i++) {
      for (const s of statements) await c.query(s.sql, s.params());
      for (let k = 0; k < 20; k++)
        await c.query(insert, [tenant(), rng.int(1, 50000), rng.pick(types), day(DAYS), '{}']);
    }
  });
  const result = await adviseAndApply(db.url, statements, 'events');
  await db.drop();
  return { rows: EVENTS, databaseBytes: bytes, ...result };
}

async function reportAtScale(serverUrl: { superuserUrl: string }) {
  const db = await createTestDatabase(serverUrl as never);
  const built = await buildScaleDatabase(db.url, { tables: TABLES, statements: STATEMENTS, log });
  const run = async (label: string, advisor: Record<string, unknown>) => {
    const optimizer = new DatabasePerformanceOptimizer(db.url, { advisor });
    await optimizer.initialize();
    // The 1-minute load average before and after: wall times on the shared 2-core machine follow it.
    const loadBefore = Math.round(loadavg()[0]! * 10) / 10;
    // Autovacuum working on the server at the same time competes for the same 2 cores.
    const autovacuumWorkers = await withClient(db.url, async (c) =>
      Number(
        (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"))
          .rows[0].n,
      ),
    );
    const t = performance.now();
    const report = await optimizer.getPerformanceReport();
    const ms = Math.round(performance.now() - t);
    await optimizer.close();
    log(
      `scale: ${label} ${ms} ms, ${report.roundTrips} round trips, ${report.indexRecommendations.length} recommendations`,
    );
    return {
      label,
      reportMs: ms,
      load1m: [loadBefore, Math.round(loadavg()[0]! * 10) / 10],
      autovacuumWorkers,
      roundTrips: report.roundTrips,
      advisorMs: Math.round(report.advisor.durationMs),
      statementsAnalysed: report.advisor.statementsAnalysed,
      whatIfCalls: report.advisor.whatIfCalls,
      recommendations: report.indexRecommendations.length,
      belowMinCostReduction: report.advisor.skipped.belowMinCostReduction,
      topQueries: report.topQueries.length,
      sectionMs: report.timings,
    };
  };
  const withoutAdvisor = await run('report, advisor limited to the top 1 statement', { maxStatements: 1 });
  const withAdvisor500 = await run('report, advisor on the top 500 statements (default)', {});
  const withAdvisor1000 = await run('report, advisor on the top 1,000 statements', {
    maxStatements: 1000,
    maxIndexes: 1000,
  });
  await db.drop();
  return {
    tables: TABLES,
    ...built,
    runs: [withoutAdvisor, withAdvisor500, withAdvisor1000],
  };
}

// --huge-pages on: the server maps shared memory with 2 MB pages (PostgreSQL docs §19.4.5; the OS must have them:
// vm.nr_hugepages). Without them every new backend here pays a minor page fault (~55 µs on this VM) per 4 kB of
// shared buffers it touches first, about half a second of a report's catalog reads on 10,000 tables.
const hugePages = process.argv.includes('--huge-pages')
  ? process.argv[process.argv.indexOf('--huge-pages') + 1]
  : 'off';
if (hugePages !== 'on' && hugePages !== 'off') throw new Error('--huge-pages takes on or off');
// --out FILE: where to write (default results.json), so runs with both settings can be kept side by side.
const outFile = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'results.json';
const server = await startPostgres({
  settings: {
    'pg_stat_statements.max': 10000,
    shared_buffers: '256MB',
    max_locks_per_transaction: 256,
    huge_pages: hugePages,
  },
});
log(`server ${server.version.text} (${server.source}), hypopg ${server.hasHypopg}`);
const results: Record<string, unknown> = {
  generatedAt: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: server.version.text,
    hugePages,
  },
};
// --only reportAtScale (comma-separated part names) reruns some parts and keeps the others' recorded results.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? new Set(process.argv[onlyAt + 1]!.split(',')) : null;
const parts = { hotel, eventLog, reportAtScale };
const previous = only && existsSync(join(HERE, outFile)) ? JSON.parse(readFileSync(join(HERE, outFile), 'utf8')) : {};
try {
  for (const [name, run] of Object.entries(parts)) {
    if (only && !only.has(name)) results[name] = previous[name];
    else results[name] = { ...(await run(server)), ...(only ? { measuredAt: new Date().toISOString() } : {}) };
  }
} finally {
  await server.stop();
}
writeFileSync(join(HERE, outFile), `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${outFile}`);
