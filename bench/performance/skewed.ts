// Issue #15 "Done when": advisor quality on a second workload of our own making, with skewed values and
// partitions, as residual planner cost against an ideal index set built for real.
//
//   scripts/run-source.sh bench/performance/skewed.ts [--orders 400000] [--tickets 200000] [--dexter DIR]
//
// --dexter DIR: a Dexter source tree (lib/, exe/dexter) run with the system `ruby` (Debian: ruby, ruby-pg,
// ruby-pg-query, ruby-slop; Dexter 0.4.x is the last release on pg_query 2.x, which is what Debian 12 ships).
// Dexter then advises the same database, side by side, twice: from the same pg_stat_statements (0.4.x cannot
// EXPLAIN a statement with $n parameters, which is every pg_stat_statements entry: it reports "Could not run
// explain" for each and finds nothing), and from the statements as the application ran them, with their
// literal values (its SQL-log input, what it reads from a PostgreSQL log). The second set is built for real and
// costed like ours; both advisers' wall times are recorded.
//
// Schema: `orders` range-partitioned by month (4 partitions) where 98% of rows are 'done' and the application
// only ever asks for the rare statuses; `customers`; `tickets` where 99% are 'normal' and the queue asks for
// 'urgent'. Each statement runs with the values the application sends (so pg_stat_statements and pg_qualstats
// see them). Then, on the same database:
//  1. Σ EXPLAIN cost of the workload (each statement × 5 parameter sets with real values) without indexes;
//  2. the advisor's report (defaults); its recommendations created for real (+ANALYZE), cost again, dropped;
//  3. the ideal set (what a DBA who knows the values would build, listed below) created for real, cost again.
// Residual = cost with a set − cost with the ideal set; the ratio advised/ideal is the headline.
// Writes skewed-results.json next to this file.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { createRandom, createTestDatabase, startPostgres } from '@voicehive/db-testing';
import { withClient } from './scale-fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ORDERS = arg('orders', 400_000);
const TICKETS = arg('tickets', 200_000);
const dexterAt = process.argv.indexOf('--dexter');
const DEXTER = dexterAt > 0 ? process.argv[dexterAt + 1] : undefined;
const log = (m: string) => process.stderr.write(`[skewed] ${new Date().toISOString().slice(11, 19)} ${m}\n`);

const SCHEMA = `
  SET synchronous_commit = on;
  CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, region int NOT NULL);
  INSERT INTO customers SELECT g, 'c' || g || '@example.com', g % 40 FROM generate_series(1, 50000) g;
  CREATE TABLE orders (id bigint NOT NULL, tenant_id int NOT NULL, customer_id int NOT NULL, status text NOT NULL,
                       amount numeric NOT NULL, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
  CREATE TABLE orders_2026_01 PARTITION OF orders FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
  CREATE TABLE orders_2026_02 PARTITION OF orders FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
  CREATE TABLE orders_2026_03 PARTITION OF orders FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
  CREATE TABLE orders_2026_04 PARTITION OF orders FOR VALUES FROM ('2026-04-01') TO ('2026-05-01');
  INSERT INTO orders
  SELECT g, 1 + (g::int8 * 7919) % 200, 1 + (g::int8 * 104729) % 50000,
         CASE WHEN g % 100 = 0 THEN 'pending' WHEN g % 200 = 1 THEN 'failed' WHEN g % 200 = 3 THEN 'refunded' ELSE 'done' END,
         (g % 997) + 0.5, timestamptz '2026-01-01' + ((g::int8 * 37) % (119 * 86400)) * interval '1 second'
    FROM generate_series(1, ${ORDERS}) g;
  CREATE TABLE tickets (id int PRIMARY KEY, priority text NOT NULL, queue int NOT NULL, opened_at timestamptz NOT NULL, subject text);
  INSERT INTO tickets SELECT g, CASE WHEN g % 100 = 7 THEN 'urgent' ELSE 'normal' END, g % 30,
         timestamptz '2026-01-01' + (g % 100000) * interval '1 minute', 'subject ' || g
    FROM generate_series(1, ${TICKETS}) g;`;

/**
 * What a DBA who knows the application's values would build: for each statement the index that lets it read only
 * the rows it returns (partial on the rare value, the equality column first, the sort order kept, the selected
 * columns included for an index-only scan).
 */
const IDEAL = [
  "CREATE INDEX ON orders (created_at) INCLUDE (id, amount) WHERE status = 'pending'",
  'CREATE INDEX ON orders (tenant_id, created_at)',
  'CREATE INDEX ON orders (customer_id, created_at DESC) INCLUDE (id, status, amount)',
  'CREATE INDEX ON customers (email) INCLUDE (id)',
  "CREATE INDEX ON tickets (queue, opened_at) INCLUDE (id, subject) WHERE priority = 'urgent'",
];

interface Statement {
  name: string;
  sql: string;
  params: () => unknown[];
}

const rng = createRandom(7);
const day = (d: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + d * 86_400_000).toISOString();
const STATEMENTS: Statement[] = [
  {
    name: 'pending_in_range (rare value of a skewed column + time range, partitioned)',
    sql: 'SELECT id, amount FROM orders WHERE status = $1 AND created_at >= $2 AND created_at < $3',
    params: () => {
      const d = rng.int(0, 80);
      return ['pending', day(d), day(d + 30)];
    },
  },
  {
    name: 'tenant_month (partitioned, equality + range)',
    sql: 'SELECT count(*) FROM orders WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3',
    params: () => {
      const d = rng.int(0, 80);
      return [rng.int(1, 200), day(d), day(d + 30)];
    },
  },
  {
    name: 'customer_latest (partitioned, equality + ORDER BY … LIMIT)',
    sql: 'SELECT id, status, amount FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 10',
    params: () => [rng.int(1, 50000)],
  },
  {
    name: 'orders_by_email (join through a lookup)',
    sql: 'SELECT o.id, o.amount FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = $1',
    params: () => [`c${rng.int(1, 50000)}@example.com`],
  },
  {
    name: 'urgent_queue (rare value of a skewed column + ORDER BY … LIMIT)',
    sql: 'SELECT id, subject FROM tickets WHERE priority = $1 AND queue = $2 ORDER BY opened_at LIMIT 20',
    params: () => ['urgent', rng.int(0, 29)],
  },
];

async function measure(url: string, paramSets: unknown[][][]) {
  return withClient(url, async (c) => {
    const perStatement: Record<string, number> = {};
    let total = 0;
    for (const [i, s] of STATEMENTS.entries()) {
      let sc = 0;
      for (const params of paramSets[i]!) {
        const plan = await c.query(`EXPLAIN (FORMAT JSON) ${s.sql}`, params);
        sc += (plan.rows[0]['QUERY PLAN'] as { Plan: { 'Total Cost': number } }[])[0]!.Plan['Total Cost'];
      }
      perStatement[s.name] = Math.round(sc);
      total += sc;
    }
    return { total: Math.round(total), perStatement };
  });
}

/** Runs each statement (a partitioned recommendation is a script whose CONCURRENTLY steps cannot share a message). */
async function runScript(url: string, sql: string): Promise<void> {
  await withClient(url, async (c) => {
    for (const stmt of sql
      .split(/;\s*\n/)
      .map((x) => x.trim().replace(/;$/, ''))
      .filter((x) => x && !x.startsWith('--')))
      await c.query(stmt);
  });
}

/** Dexter on the database's pg_stat_statements: the indexes it reports (`Index found: table (a, b)`), and its time. */
function runDexter(
  dir: string,
  url: string,
  input: { pgStatStatements: true } | { sql: string },
): { indexes: string[]; ms: number; version: string; output: string } {
  const started = performance.now();
  const args = 'sql' in input ? ['--input-format', 'sql'] : ['--pg-stat-statements'];
  const r = spawnSync('ruby', ['-Ilib', 'exe/dexter', url, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 600_000,
    ...('sql' in input ? { input: input.sql } : {}),
  });
  const ms = Math.round(performance.now() - started);
  const output = stripVTControlCharacters(`${r.stdout}${r.stderr}`);
  const version = spawnSync('ruby', ['-Ilib', '-e', 'require "dexter/version"; print Dexter::VERSION'], {
    cwd: dir,
    encoding: 'utf8',
  }).stdout;
  const indexes = [...output.matchAll(/Index found: (\S+) \(([^)]*)\)/g)].map(
    (m) =>
      `CREATE INDEX ON ${m[1]} (${m[2]!
        .split(', ')
        .map((c) => `"${c}"`)
        .join(', ')})`,
  );
  return { indexes, ms, version, output: output.slice(0, 2000) };
}

/** A statement with its parameters written in as literals, as a PostgreSQL log shows what ran. */
const literal = (sql: string, params: unknown[]): string =>
  sql.replace(/\$(\d+)/g, (_, n: string) => {
    const v = params[Number(n) - 1];
    return typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`;
  });

async function dropAll(url: string): Promise<void> {
  for (const i of await indexesOf(url)) await withClient(url, (c) => c.query(`DROP INDEX ${i}`));
}

async function indexesOf(url: string): Promise<string[]> {
  return withClient(url, async (c) =>
    (
      await c.query(
        `SELECT indexrelid::regclass::text AS i FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisprimary AND c.relkind IN ('r', 'p')
            AND NOT c.relispartition`,
      )
    ).rows.map((r) => String(r.i)),
  );
}

const server = await startPostgres({});
const results: Record<string, unknown> = {
  generatedAt: new Date().toISOString(),
  postgres: server.version.text,
  hypopg: server.hasHypopg,
  pgQualstats: server.hasQualstats,
  loadAverageAtStart: loadavg().map((x) => Math.round(x * 10) / 10),
  orders: ORDERS,
  tickets: TICKETS,
};
try {
  const db = await createTestDatabase(server);
  log(`loading ${ORDERS} orders, ${TICKETS} tickets`);
  await withClient(db.url, (c) => c.query(SCHEMA));
  // All-visible pages before any measurement: otherwise autovacuum's first pass over the fresh tables lands
  // somewhere between two measurements and makes index-only scans ~40x cheaper for the later one only.
  await withClient(db.url, (c) => c.query('VACUUM ANALYZE'));
  await withClient(db.url, (c) =>
    c.query(
      `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)${
        server.hasQualstats ? ', pg_qualstats_reset()' : ''
      }`,
    ),
  );
  const ran: string[] = [];
  await withClient(db.url, async (c) => {
    for (let k = 0; k < 10; k++)
      for (const s of STATEMENTS) {
        const params = s.params();
        ran.push(literal(s.sql, params));
        await c.query(s.sql, params);
      }
  });
  const paramSets = STATEMENTS.map((s) => Array.from({ length: 5 }, () => s.params()));
  const none = await measure(db.url, paramSets);
  log(`no index: ${none.total}`);

  const optimizer = new DatabasePerformanceOptimizer(db.url, { advisor: { maxIndexes: 10 } });
  const t = performance.now();
  const report = await optimizer.getPerformanceReport({ store: 'none' });
  const reportMs = Math.round(performance.now() - t);
  await optimizer.close();
  const recs = report.indexRecommendations;
  log(`advised ${recs.length} in ${reportMs} ms`);
  for (const r of recs) await runScript(db.url, r.createSql);
  await withClient(db.url, (c) => c.query('ANALYZE'));
  const advised = await measure(db.url, paramSets);
  log(`advised set: ${advised.total}`);
  await dropAll(db.url);

  if (DEXTER) {
    // Same pg_stat_statements as our advisor read (our planning session is untracked), no index in place.
    const fromPss = runDexter(DEXTER, db.url, { pgStatStatements: true });
    log(`dexter ${fromPss.version} --pg-stat-statements: ${fromPss.indexes.length} indexes in ${fromPss.ms} ms`);
    const dexter = runDexter(DEXTER, db.url, { sql: `${ran.join(';\n')};\n` });
    log(`dexter ${dexter.version} on the statements as run: ${dexter.indexes.length} indexes in ${dexter.ms} ms`);
    for (const sql of dexter.indexes) await runScript(db.url, sql);
    await withClient(db.url, (c) => c.query('ANALYZE'));
    const cost = await measure(db.url, paramSets);
    log(`dexter set: ${cost.total}`);
    results['dexter'] = { fromPgStatStatements: fromPss, ...dexter, cost };
    await dropAll(db.url);
  } else {
    results['dexter'] = { notRun: 'no --dexter DIR given' };
  }

  for (const sql of IDEAL) await runScript(db.url, sql);
  await withClient(db.url, (c) => c.query('ANALYZE'));
  const ideal = await measure(db.url, paramSets);
  log(`ideal set: ${ideal.total}`);

  results['costWithoutIndexes'] = none;
  results['advised'] = {
    reportMs,
    advisorMs: Math.round(report.advisor.durationMs),
    whatIfCalls: report.advisor.whatIfCalls,
    qualstats: report.advisor.qualstats,
    recommendations: recs.map((r) => ({
      createSql: r.createSql,
      validated: r.validated,
      estimatedCostReduction: r.estimatedCostReduction,
      assumedValues: r.affectedQueries.flatMap((q) => q.assumedValues ?? []),
    })),
    cost: advised,
  };
  results['ideal'] = { indexes: IDEAL, cost: ideal };
  // The cheapest each statement got under any set built here: a lower bound no set of ours beat.
  const bestSeen = Object.fromEntries(
    Object.keys(none.perStatement).map((k) => [
      k,
      Math.min(
        advised.perStatement[k]!,
        ideal.perStatement[k]!,
        ...((results['dexter'] as { cost?: { perStatement: Record<string, number> } }).cost
          ? [(results['dexter'] as { cost: { perStatement: Record<string, number> } }).cost.perStatement[k]!]
          : []),
      ),
    ]),
  );
  results['bestPerStatementOverAllSets'] = bestSeen;
  results['residual'] = {
    advisedMinusIdeal: advised.total - ideal.total,
    advisedOverIdeal: Math.round((advised.total / ideal.total) * 100) / 100,
    advisedShareOfNoIndexCost: Math.round((advised.total / none.total) * 10000) / 100,
    idealShareOfNoIndexCost: Math.round((ideal.total / none.total) * 10000) / 100,
  };
  const dex = results['dexter'] as { cost?: { total: number }; ms?: number };
  if (dex.cost) {
    (results['residual'] as Record<string, number>)['dexterOverIdeal'] =
      Math.round((dex.cost.total / ideal.total) * 100) / 100;
    (results['residual'] as Record<string, number>)['advisedOverDexter'] =
      Math.round((advised.total / dex.cost.total) * 100) / 100;
    results['adviserTimeRatio'] = {
      oursReportMs: reportMs,
      dexterMs: dex.ms,
      dexterOverOurs: Math.round((dex.ms! / reportMs) * 100) / 100,
    };
  }
  results['loadAverageAtEnd'] = loadavg().map((x) => Math.round(x * 10) / 10);
  log(JSON.stringify(results['residual']));
  await db.drop();
} finally {
  await server.stop();
}
writeFileSync(join(HERE, 'skewed-results.json'), `${JSON.stringify(results, null, 2)}\n`);
log('wrote skewed-results.json');
