// What does one secondary B-tree index cost per written row, in the advisor's planner cost units?
//
//   scripts/run-source.sh bench/performance/write-penalty.ts [--rows 1000000] [--txns 20000] [--reps 7]
//                                                            [--mix-reps 3] [--mix-reads 5] [--read-params 10]
//                                                            [--out bench/performance/write-penalty.json]
//
// The index advisor charges `writeCostPerRow` (default 1) planner cost units per row the workload
// writes to a table, for each index it recommends there, against the read saving in calls × planner
// cost. This benchmark measures that weight on real PostgreSQL instead of guessing it:
//  1. Four identical call-log tables with 0, 1, 2 and 3 secondary B-tree indexes get the same
//     single-row pgbench transactions (same random seed): INSERTs, UPDATEs of a non-indexed column
//     (HOT) and UPDATEs of an indexed column (not HOT). Configurations are interleaved within each
//     repetition so that machine load drifts hit all of them alike. Per run: latency, server execution
//     time, WAL bytes / records / full-page images per row, HOT share; per repetition: VACUUM time.
//  2. Read calibration: the same read statements, EXPLAINed with real parameters and timed, on the
//     table without and with the index that serves them, give the measured milliseconds per planner
//     cost unit saved. Extra ms per written row per index ÷ ms per cost unit = the implied weight.
//  3. The real advisor (DatabasePerformanceOptimizer) on a mixed workload (reads an index helps plus
//     many writes) with writeCostPerRow 0, 1 and the implied value; the index is then created for
//     real and both sides are re-measured against an identical table without it, so each setting's
//     call can be checked against the measured net effect.
// Writes write-penalty.json next to this file and prints a markdown summary on stdout.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { createRandom, createTestDatabase, startPostgres } from '@voicehive/db-testing';
import {
  median,
  parsePgbench,
  parseWaldumpStats,
  ratioSpread,
  roundSpread,
  type Spread,
  sig,
  slope,
  spread,
  type WalBreakdown,
} from './write-penalty-stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// bench/ has no node_modules of its own: borrow the performance package's pg.
const pg = createRequire(join(HERE, '../../packages/performance/package.json'))('pg') as typeof import('pg').default;
type PgClient = InstanceType<typeof pg.Client>;
const execFileAsync = promisify(execFile);

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const argText = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const ROWS = arg('rows', 1_000_000);
const TXNS = arg('txns', 20_000);
const REPS = arg('reps', 7);
const MIX_REPS = arg('mix-reps', 3);
const MIX_READS = arg('mix-reads', 5);
const READ_PARAMS = arg('read-params', 10);
const OUT = argText('out', join(HERE, 'write-penalty.json'));
const CALLERS = 100_000;
const TENANTS = 200;
const started = performance.now();
const log = (m: string) =>
  process.stderr.write(`[write-penalty] ${Math.round((performance.now() - started) / 1000)}s ${m}\n`);

/** The secondary indexes, added in this order: table wp_k has the first k. */
const INDEXES = [
  // Random key: every insert lands on a random leaf page.
  { name: 'caller', columns: ['caller_id'] },
  // 200 insertion points, each advancing in time.
  { name: 'tenant_started', columns: ['tenant_id', 'started_at'] },
  // Append-only key (now()): inserts go to the rightmost leaf.
  { name: 'started', columns: ['started_at'] },
] as const;

const OPS = ['insert', 'hot_update', 'indexed_update'] as const;
type Op = (typeof OPS)[number];

const writeScript = (op: Op, table: string, maxId: number): string =>
  ({
    insert: `\\set tenant random(1, ${TENANTS})
\\set caller random(1, ${CALLERS})
\\set dur random(1, 600000)
INSERT INTO ${table} (tenant_id, caller_id, started_at, duration_ms, status, notes) VALUES (:tenant, :caller, now(), :dur, 1, 'inserted by the write-penalty run');
`,
    // duration_ms is in no index, so with free space on the page the update stays HOT.
    hot_update: `\\set id random(1, ${maxId})
UPDATE ${table} SET duration_ms = duration_ms + 1 WHERE id = :id;
`,
    // caller_id is in the first secondary index: with it present the update cannot be HOT and
    // inserts a new entry into every index of the table, the primary key included.
    indexed_update: `\\set id random(1, ${maxId})
\\set caller random(1, ${CALLERS})
UPDATE ${table} SET caller_id = :caller WHERE id = :id;
`,
  })[op];

const readScript = (table: string): string => `\\set caller random(1, ${CALLERS})
SELECT id, started_at, duration_ms, status FROM ${table} WHERE caller_id = :caller;
`;

// ---------------------------------------------------------------------------------------------
const server = await startPostgres({
  settings: {
    // Everything (4 × ~150 MB tables plus indexes) stays in shared buffers: we measure CPU and WAL, not disk reads.
    shared_buffers: '1GB',
    // No background work between runs; VACUUM is run (and timed) by the benchmark.
    autovacuum: false,
    // Only the CHECKPOINT before each run: no checkpoint in the middle of a measured run.
    max_wal_size: '8GB',
    checkpoint_timeout: '1h',
    'pg_stat_statements.max': 10000,
  },
});
const db = await createTestDatabase(server);
const u = new URL(db.url);
const conn = {
  host: u.hostname,
  port: u.port || '5432',
  user: decodeURIComponent(u.username) || 'postgres',
  database: decodeURIComponent(u.pathname.slice(1)),
};
const PGBENCH = join(server.binDir ?? '/usr/lib/postgresql/15/bin', 'pgbench');
const WALDUMP = join(server.binDir ?? '/usr/lib/postgresql/15/bin', 'pg_waldump');
const scratch = mkdtempSync(join(tmpdir(), 'write-penalty-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let scriptCount = 0;
const c: PgClient = new pg.Client({ connectionString: db.url });
await c.connect();
// This session's commits flush the WAL, so pg_waldump can read what pgbench wrote (the cluster runs synchronous_commit=off).
await c.query('SET synchronous_commit = on');
await c.query('CREATE TABLE wp_flush (x int)');
const q = async <R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> =>
  (await c.query(text, values)).rows as R[];
const one = async <R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R> =>
  (await q<R>(text, values))[0]!;

log(`server ${server.version.text} (${server.source}), hypopg ${server.hasHypopg}, pgbench ${PGBENCH}`);

async function pgbench(script: string, txns: number, seed: number) {
  const file = join(scratch, `script-${++scriptCount}.sql`);
  writeFileSync(file, script);
  const t = performance.now();
  const { stdout } = await execFileAsync(
    PGBENCH,
    [
      '-n',
      '-M',
      'prepared',
      '-c',
      '1',
      '-j',
      '1',
      '-t',
      String(txns),
      `--random-seed=${seed}`,
      '-f',
      file,
      '-h',
      conn.host,
      '-p',
      conn.port,
      '-U',
      conn.user,
      conn.database,
    ],
    { maxBuffer: 1 << 20 },
  );
  return { ...parsePgbench(stdout), wallMs: performance.now() - t };
}

/** A call log of `rows` rows, identical for every name (deterministic data). fillfactor 90 leaves room for HOT. */
async function createCallLog(table: string, rows: number): Promise<void> {
  await c.query(`
    CREATE TABLE ${table} (
      id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
      tenant_id int NOT NULL,
      caller_id bigint NOT NULL,
      started_at timestamptz NOT NULL,
      duration_ms int NOT NULL,
      status smallint NOT NULL,
      notes text NOT NULL
    ) WITH (fillfactor = 90);
    INSERT INTO ${table} (id, tenant_id, caller_id, started_at, duration_ms, status, notes)
    SELECT g, 1 + (g * 7919) % ${TENANTS}, 1 + (g * 104729) % ${CALLERS},
           timestamptz '2026-01-01' + g * interval '1 second', (g * 31) % 600000, (g % 5)::smallint, md5(g::text)
      FROM generate_series(1::int8, ${rows}::int8) g;
    SELECT setval(pg_get_serial_sequence('${table}', 'id'), ${rows});`);
}

async function relSize(name: string): Promise<number> {
  return Number((await one<{ b: string }>('SELECT pg_relation_size($1::regclass)::int8 AS b', [name])).b);
}

async function tableCounters(table: string) {
  const r = await one<{ ins: string; upd: string; hot: string; dead: string }>(
    `SELECT n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_dead_tup AS dead
       FROM pg_stat_user_tables WHERE relid = $1::regclass`,
    [table],
  );
  return { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), dead: Number(r.dead) };
}

/** pgbench's backend reports its table counters when it exits, a moment after pgbench returns. */
async function countersAfter(table: string, before: { ins: number; upd: number }, op: Op, txns: number) {
  for (let i = 0; i < 100; i++) {
    const now = await tableCounters(table);
    if ((op === 'insert' ? now.ins - before.ins : now.upd - before.upd) >= txns) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
  return tableCounters(table);
}

async function lsn(): Promise<string> {
  return (await one<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).l;
}
async function walBytes(from: string, to: string): Promise<number> {
  return Number((await one<{ d: string }>('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::int8 AS d', [from, to])).d);
}
/** Record bytes and full-page-image bytes between two LSNs, by resource manager (null when the data directory is not local). */
async function walBreakdown(from: string, to: string): Promise<WalBreakdown | null> {
  if (!server.dataDir) return null;
  // A synchronous commit that wrote WAL after `to`: the WAL up to it is written for pg_waldump.
  await c.query('INSERT INTO wp_flush VALUES (1)');
  const { stdout } = await execFileAsync(
    WALDUMP,
    ['--stats', '-p', join(server.dataDir, 'pg_wal'), '-s', from, '-e', to],
    { maxBuffer: 1 << 22 },
  );
  return parseWaldumpStats(stdout);
}

/** The write statements pgbench ran on `table`, from pg_stat_statements (reset before each run). */
async function statementsOn(table: string) {
  const r = await one<Record<string, number | null>>(
    `SELECT sum(calls)::float8 AS calls, sum(rows)::float8 AS rows, sum(total_exec_time)::float8 AS exec_ms,
            sum(wal_bytes)::float8 AS wal_bytes, sum(wal_fpi)::float8 AS fpi, sum(wal_records)::float8 AS records
       FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND (query LIKE 'INSERT INTO ' || $1 || ' %' OR query LIKE 'UPDATE ' || $1 || ' %')`,
    [table],
  );
  return {
    calls: r['calls'] ?? 0,
    rows: r['rows'] ?? 0,
    execMs: r['exec_ms'] ?? 0,
    walBytes: r['wal_bytes'] ?? 0,
    fpi: r['fpi'] ?? 0,
    records: r['records'] ?? 0,
  };
}

/** The caller lookup pgbench ran on `table` (part 3), from pg_stat_statements. */
async function readsOn(table: string) {
  const r = await one<{ calls: number | null; exec_ms: number | null }>(
    `SELECT sum(calls)::float8 AS calls, sum(total_exec_time)::float8 AS exec_ms FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND query LIKE 'SELECT id, started_at, duration_ms, status FROM ' || $1 || ' %'`,
    [table],
  );
  return { calls: r.calls ?? 0, execMs: r.exec_ms ?? 0 };
}

const resetStatements = () => c.query('SELECT pg_stat_statements_reset()');
const rotate = <T>(xs: readonly T[], by: number): T[] => xs.map((_, i) => xs[(i + by) % xs.length]!);

// ---------------------------------------------------------------------------------------------
// Part 1: write cost with 0–3 secondary indexes.
interface WriteRun {
  rep: number;
  op: Op;
  indexes: number;
  latencyMs: number;
  tps: number;
  /** Server execution time per row (pg_stat_statements total_exec_time / rows). */
  execMsPerRow: number;
  /** All WAL the run produced (insert LSN delta, commit records included) per row. */
  walBytesPerRow: number;
  /** WAL of the statements themselves (pg_stat_statements) per row. */
  statementWalBytesPerRow: number;
  walRecordsPerRow: number;
  fullPageImagesPerRow: number;
  /** From pg_waldump: WAL record bytes without full-page images, per row (all, B-tree, heap), and full-page-image bytes per row. */
  walRecordBytesPerRow: number | null;
  btreeRecordBytesPerRow: number | null;
  heapRecordBytesPerRow: number | null;
  fpiBytesPerRow: number | null;
  /** Share of the run's updates that were HOT (pg_stat_user_tables); null for inserts. */
  hotShare: number | null;
}

const tables = INDEXES.map((_, i) => `wp_${i}`).concat(`wp_${INDEXES.length}`);
const setupStarted = performance.now();
const sizes: Record<string, { heapBytes: number; primaryKeyBytes: number; indexes: Record<string, number> }> = {};
for (const [k, table] of tables.entries()) {
  await createCallLog(table, ROWS);
  for (const idx of INDEXES.slice(0, k))
    await c.query(`CREATE INDEX ${table}_${idx.name}_idx ON ${table} (${idx.columns.join(', ')})`);
  await c.query(`VACUUM (ANALYZE) ${table}`);
  sizes[table] = {
    heapBytes: await relSize(table),
    primaryKeyBytes: await relSize(`${table}_pkey`),
    indexes: Object.fromEntries(
      await Promise.all(
        INDEXES.slice(0, k).map(async (idx) => [idx.name, await relSize(`${table}_${idx.name}_idx`)] as const),
      ),
    ),
  };
  log(`created ${table}: ${ROWS} rows, ${k} secondary index(es)`);
}
const setupSeconds = Math.round((performance.now() - setupStarted) / 1000);

// Warm-up, not measured: the first writes after the load pay one-off costs (free-space map, hint bits).
for (const [o, op] of OPS.entries())
  for (const table of tables) await pgbench(writeScript(op, table, ROWS), Math.ceil(TXNS / 10), 900 + o);
for (const table of tables) await c.query(`VACUUM ${table}`);
log('warm-up done');

const runs: WriteRun[] = [];
const vacuums: { rep: number; indexes: number; ms: number; deadTuples: number }[] = [];
const partOneStarted = performance.now();
for (let rep = 0; rep < REPS; rep++) {
  for (const [o, op] of OPS.entries()) {
    // Same seed for every configuration: each table gets the very same rows and ids.
    const seed = 1000 + rep * 10 + o;
    for (const k of rotate([0, 1, 2, 3], rep + o)) {
      const table = tables[k]!;
      await c.query('CHECKPOINT');
      const before = await tableCounters(table);
      await resetStatements();
      const lsn0 = await lsn();
      const r = await pgbench(writeScript(op, table, ROWS), TXNS, seed);
      const lsn1 = await lsn();
      const stmts = await statementsOn(table);
      const after = await countersAfter(table, before, op, TXNS);
      const wal = await walBreakdown(lsn0, lsn1);
      const rows = stmts.rows || TXNS;
      const updates = after.upd - before.upd;
      runs.push({
        rep,
        op,
        indexes: k,
        latencyMs: r.latencyMs,
        tps: r.tps,
        execMsPerRow: stmts.execMs / rows,
        walBytesPerRow: (await walBytes(lsn0, lsn1)) / rows,
        statementWalBytesPerRow: stmts.walBytes / rows,
        walRecordsPerRow: stmts.records / rows,
        fullPageImagesPerRow: stmts.fpi / rows,
        walRecordBytesPerRow: wal ? wal.recordBytes / rows : null,
        btreeRecordBytesPerRow: wal ? (wal.byType['Btree']?.recordBytes ?? 0) / rows : null,
        heapRecordBytesPerRow: wal
          ? ((wal.byType['Heap']?.recordBytes ?? 0) + (wal.byType['Heap2']?.recordBytes ?? 0)) / rows
          : null,
        fpiBytesPerRow: wal ? wal.fpiBytes / rows : null,
        hotShare: op === 'insert' || updates === 0 ? null : (after.hot - before.hot) / updates,
      });
    }
  }
  // VACUUM cost grows with the indexes too (each index is scanned when the heap has dead line pointers).
  for (const k of rotate([0, 1, 2, 3], rep)) {
    const table = tables[k]!;
    const dead = (await tableCounters(table)).dead;
    const t = performance.now();
    await c.query(`VACUUM ${table}`);
    vacuums.push({ rep, indexes: k, ms: performance.now() - t, deadTuples: dead });
  }
  log(`part 1: repetition ${rep + 1}/${REPS} done`);
}
const partOneSeconds = Math.round((performance.now() - partOneStarted) / 1000);

const optionalSpread = (xs: (number | null)[]) =>
  xs.every((x) => x !== null) ? roundSpread(spread(xs as number[])) : null;
const cell = (op: Op, k: number) => runs.filter((r) => r.op === op && r.indexes === k);
const throughput = Object.fromEntries(
  OPS.map((op) => [
    op,
    [0, 1, 2, 3].map((k) => {
      const rs = cell(op, k);
      const hot = rs.map((r) => r.hotShare).filter((h): h is number => h !== null);
      return {
        indexes: k,
        tps: roundSpread(spread(rs.map((r) => r.tps))),
        latencyUs: roundSpread(spread(rs.map((r) => r.latencyMs * 1000))),
        execUsPerRow: roundSpread(spread(rs.map((r) => r.execMsPerRow * 1000))),
        walBytesPerRow: roundSpread(spread(rs.map((r) => r.walBytesPerRow))),
        statementWalBytesPerRow: roundSpread(spread(rs.map((r) => r.statementWalBytesPerRow))),
        walRecordsPerRow: roundSpread(spread(rs.map((r) => r.walRecordsPerRow))),
        fullPageImagesPerRow: roundSpread(spread(rs.map((r) => r.fullPageImagesPerRow))),
        walRecordBytesPerRow: optionalSpread(rs.map((r) => r.walRecordBytesPerRow)),
        btreeRecordBytesPerRow: optionalSpread(rs.map((r) => r.btreeRecordBytesPerRow)),
        heapRecordBytesPerRow: optionalSpread(rs.map((r) => r.heapRecordBytesPerRow)),
        fpiBytesPerRow: optionalSpread(rs.map((r) => r.fpiBytesPerRow)),
        hotShare: hot.length > 0 ? sig(median(hot)) : null,
      };
    }),
  ]),
);

/** Per repetition (configurations of one repetition ran back to back with the same seed): the paired increments, ms. */
function perRep(op: Op, metric: (r: WriteRun) => number) {
  const out = { slope0to3: [] as number[], step: [[], [], []] as number[][], slope1to3: [] as number[] };
  for (let rep = 0; rep < REPS; rep++) {
    const ys = [0, 1, 2, 3].map((k) => metric(runs.find((r) => r.rep === rep && r.op === op && r.indexes === k)!));
    out.slope0to3.push(slope([0, 1, 2, 3], ys));
    out.slope1to3.push(slope([1, 2, 3], ys.slice(1)));
    for (let k = 0; k < 3; k++) out.step[k]!.push(ys[k + 1]! - ys[k]!);
  }
  return out;
}
const latency = (r: WriteRun) => r.latencyMs;
const exec = (r: WriteRun) => r.execMsPerRow;
const increments = {
  insert: { latency: perRep('insert', latency), exec: perRep('insert', exec) },
  hot_update: { latency: perRep('hot_update', latency), exec: perRep('hot_update', exec) },
  indexed_update: { latency: perRep('indexed_update', latency), exec: perRep('indexed_update', exec) },
};

// ---------------------------------------------------------------------------------------------
// Part 2: measured milliseconds per planner cost unit, for reads the indexes serve.
await c.query(`ANALYZE ${tables.join(', ')}`);
type Rng = ReturnType<typeof createRandom>;
const day = (d: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + d * 86_400_000).toISOString();
const READS = [
  {
    name: 'caller_lookup',
    index: 1,
    sql: (t: string) => `SELECT id, started_at, duration_ms, status FROM ${t} WHERE caller_id = $1`,
    params: (rng: Rng) => [rng.int(1, CALLERS)],
  },
  {
    name: 'tenant_day_report',
    index: 2,
    sql: (t: string) =>
      `SELECT count(*), avg(duration_ms) FROM ${t} WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3`,
    params: (rng: Rng) => {
      const d = rng.int(0, Math.max(0, Math.floor(ROWS / 86_400) - 1));
      return [rng.int(1, TENANTS), day(d), day(d + 1)];
    },
  },
  {
    name: 'ten_minute_window',
    index: 3,
    sql: (t: string) => `SELECT id, caller_id, duration_ms FROM ${t} WHERE started_at >= $1 AND started_at < $2`,
    params: (rng: Rng) => {
      const s = Date.parse('2026-01-01T00:00:00Z') + rng.int(0, Math.max(1, ROWS - 600)) * 1000;
      return [new Date(s).toISOString(), new Date(s + 600_000).toISOString()];
    },
  },
];

async function costAndTime(sql: string, params: unknown[]) {
  const plan = (
    await q<{
      'QUERY PLAN': { Plan: { 'Total Cost': number; 'Node Type': string; Plans?: { 'Node Type': string }[] } }[];
    }>(`EXPLAIN (FORMAT JSON) ${sql}`, params)
  )[0]!['QUERY PLAN'][0]!.Plan;
  await c.query(sql, params); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await c.query(sql, params);
    times.push(performance.now() - t);
  }
  const nodes = [plan['Node Type'], ...(plan.Plans ?? []).map((p) => p['Node Type'])].join(' > ');
  return { cost: plan['Total Cost'], ms: median(times), nodes };
}

/** Each read on the table without and with its index; `parallel` false plans them without parallel workers. */
async function calibrate(parallel: boolean) {
  await c.query(parallel ? 'RESET max_parallel_workers_per_gather' : 'SET max_parallel_workers_per_gather = 0');
  const rows = [];
  for (const [r, read] of READS.entries()) {
    // The same parameter sets for both runs.
    const rng = createRandom(7 + r);
    const paramSets = Array.from({ length: READ_PARAMS }, () => read.params(rng));
    let seqCost = 0;
    let seqMs = 0;
    let idxCost = 0;
    let idxMs = 0;
    const perParam: { costSaved: number; msSaved: number }[] = [];
    let seqPlan = '';
    let idxPlan = '';
    for (const params of paramSets) {
      const a = await costAndTime(read.sql(tables[0]!), params);
      const b = await costAndTime(read.sql(tables[read.index]!), params);
      seqCost += a.cost;
      seqMs += a.ms;
      idxCost += b.cost;
      idxMs += b.ms;
      seqPlan = a.nodes;
      idxPlan = b.nodes;
      perParam.push({ costSaved: a.cost - b.cost, msSaved: a.ms - b.ms });
    }
    const n = paramSets.length;
    rows.push({
      read: read.name,
      sql: read.sql('<table>'),
      withoutIndex: { plan: seqPlan, cost: sig(seqCost / n), ms: sig(seqMs / n), msPerCostUnit: sig(seqMs / seqCost) },
      withIndex: {
        index: INDEXES[read.index - 1]!.columns.join(', '),
        plan: idxPlan,
        cost: sig(idxCost / n),
        ms: sig(idxMs / n),
        msPerCostUnit: sig(idxMs / idxCost),
      },
      costSavedPerCall: sig((seqCost - idxCost) / n),
      msSavedPerCall: sig((seqMs - idxMs) / n),
      msPerCostUnitSaved: (seqMs - idxMs) / (seqCost - idxCost),
      perParamMsPerCostUnitSaved: roundSpread(spread(perParam.map((p) => p.msSaved / p.costSaved))),
    });
    log(
      `part 2${parallel ? '' : ' (serial)'}: ${read.name}: ${sig(((seqMs - idxMs) / (seqCost - idxCost)) * 1000)} µs per cost unit saved`,
    );
  }
  await c.query('RESET max_parallel_workers_per_gather');
  return rows;
}
const calibration = await calibrate(true);
const calibrationSerial = await calibrate(false);
const msPerCost = spread(calibration.map((r) => r.msPerCostUnitSaved));
const msPerCostSerial = spread(calibrationSerial.map((r) => r.msPerCostUnitSaved));

const impliedFrom = (m: 'exec' | 'latency', perCost = msPerCost) => {
  const implied = (ms: number[]) => ratioSpread(spread(ms), perCost);
  return {
    insertPerIndex: implied(increments.insert[m].slope0to3),
    insertPerIndexStep: [0, 1, 2].map((k) => implied(increments.insert[m].step[k]!)),
    hotUpdatePerIndex: implied(increments.hot_update[m].slope0to3),
    indexedUpdateFirstIndex: implied(increments.indexed_update[m].step[0]!),
    indexedUpdatePerFurtherIndex: implied(increments.indexed_update[m].slope1to3),
  };
};
const impliedWeights = {
  // Primary: server execution time per row (pg_stat_statements). Index maintenance happens inside the executor,
  // and without the client round trip the paired differences are far less noisy on a shared machine.
  byExecTime: impliedFrom('exec'),
  // The same write costs against reads planned and run without parallel workers (one process's time).
  byExecTimeSerialReads: impliedFrom('exec', msPerCostSerial),
  // Cross-check: pgbench's end-to-end latency (round trip and commit included).
  byPgbenchLatency: impliedFrom('latency'),
};
const wImplied = sig(impliedWeights.byExecTime.insertPerIndex.median, 2);
log(`implied writeCostPerRow (insert, per index): ${wImplied}`);

// ---------------------------------------------------------------------------------------------
// Part 3: the advisor on a mixed workload, with writeCostPerRow 0, 1 and the implied value.
await c.query(`DROP TABLE ${tables.join(', ')}`);
const costSavedPerRead = calibration[0]!.costSavedPerCall;
// Writes per workload pass, halfway (geometrically) between where writeCostPerRow 1 and the implied value
// stop recommending the index, so the two settings disagree and the measurement decides who is right.
const mixWrites = Math.min(200_000, Math.max(2_000, Math.round((MIX_READS * costSavedPerRead) / Math.sqrt(wImplied))));
const READS_TIMED = Math.max(MIX_READS, 10);

async function mixedScenario(kind: 'insert' | 'hot_update') {
  const advised = `mix_${kind === 'insert' ? 'ins' : 'hot'}`;
  // Inserts grow the table, and a bigger table makes every later sequential scan dearer: put it back to
  // ROWS rows after each pass (outside any measurement), so the advisor and every repetition see the same table.
  const restore = async (table: string) => {
    if (kind !== 'insert') return;
    await c.query(`DELETE FROM ${table} WHERE id > ${ROWS}`);
    await c.query(`VACUUM ${table}`);
  };
  const plain = `${advised}_noidx`;
  // Two identical tables with the same history (every write pass runs on both): the advisor watches
  // `advised`, whose index is then created for real; `plain` stays without it.
  await createCallLog(advised, ROWS);
  await createCallLog(plain, ROWS);
  await c.query(`VACUUM (ANALYZE) ${advised}, ${plain}`);
  const settings = [0, 1, wImplied];
  const advice = [];
  for (const [i, w] of settings.entries()) {
    // A fresh observation window for every setting, so that one advisor run's EXPLAINs can never weigh in the next.
    await resetStatements();
    await pgbench(readScript(advised), MIX_READS, 50 + i);
    await pgbench(writeScript(kind, advised, ROWS), mixWrites, 60 + i);
    const observed = await statementsOn(advised);
    const readsBefore = await readsOn(advised);
    const optimizer = new DatabasePerformanceOptimizer(db.url, { advisor: { writeCostPerRow: w } });
    await optimizer.initialize();
    const report = await optimizer.getPerformanceReport();
    await optimizer.close();
    // pg_stat_statements tracks nested statements here (track = all): does planning by the advisor count as calls?
    const readsAfter = await readsOn(advised);
    await pgbench(readScript(plain), MIX_READS, 50 + i);
    await pgbench(writeScript(kind, plain, ROWS), mixWrites, 60 + i);
    await restore(advised);
    await restore(plain);
    const recs = report.indexRecommendations.filter((r) => r.table === `public.${advised}`);
    const gain = recs
      .flatMap((r) => r.affectedQueries)
      .reduce((s, a) => s + (a.costBefore - (a.costAfter ?? 0)) * a.calls, 0);
    advice.push({
      writeCostPerRow: w,
      rowsWrittenSeen: observed.rows,
      recommended: recs.map((r) => ({ columns: r.columns, createSql: r.createSql, evidence: r.evidence })),
      weightedReadCostSaved: sig(gain),
      breakEvenWriteCostPerRow: observed.rows > 0 && gain > 0 ? sig(gain / observed.rows) : null,
      advisorMs: Math.round(report.advisor.durationMs),
      readCallsSeen: readsBefore.calls,
      readCallsAfterAdvisor: readsAfter.calls,
    });
    log(`part 3 ${kind}: writeCostPerRow ${w} → ${recs.map((r) => r.columns.join(',')).join(' | ') || 'no index'}`);
  }
  const createSql = advice[0]!.recommended[0]?.createSql ?? `CREATE INDEX CONCURRENTLY ON ${advised} (caller_id);`;
  await c.query(createSql);
  await c.query(`VACUUM (ANALYZE) ${advised}, ${plain}`);
  const indexBytes = Number(
    (
      await one<{ b: string }>(
        `SELECT sum(pg_relation_size(indexrelid))::int8 AS b FROM pg_index WHERE indrelid = $1::regclass AND NOT indisprimary`,
        [advised],
      )
    ).b,
  );
  const reps = [];
  for (let rep = 0; rep < MIX_REPS; rep++) {
    type Side = {
      readMs: number;
      writeMs: number;
      readExecMs: number;
      writeExecMs: number;
      vacuumMs: number;
      readCost: number;
    };
    const m: Record<string, Side> = {};
    for (const table of rep % 2 === 0 ? [advised, plain] : [plain, advised]) {
      await c.query('CHECKPOINT');
      // The read's planner cost on this table now (before the reset: an EXPLAIN must not count as a call).
      const readCost = (
        await q<{ 'QUERY PLAN': { Plan: { 'Total Cost': number } }[] }>(
          `EXPLAIN (FORMAT JSON) SELECT id, started_at, duration_ms, status FROM ${table} WHERE caller_id = $1`,
          [CALLERS / 2],
        )
      )[0]!['QUERY PLAN'][0]!.Plan['Total Cost'];
      await resetStatements();
      const reads = await pgbench(readScript(table), READS_TIMED, 70 + rep);
      const writes = await pgbench(writeScript(kind, table, ROWS), mixWrites, 80 + rep);
      const w = await statementsOn(table);
      const r = await readsOn(table);
      const t = performance.now();
      await c.query(`VACUUM ${table}`);
      m[table] = {
        readMs: reads.latencyMs,
        writeMs: writes.latencyMs,
        readExecMs: r.execMs / r.calls,
        writeExecMs: w.execMs / w.rows,
        vacuumMs: performance.now() - t,
        readCost,
      };
      await restore(table);
    }
    const a = m[advised]!;
    const b = m[plain]!;
    // Primary: server execution time (pg_stat_statements), as in part 1; pgbench latency as a cross-check.
    const readSavedMs = MIX_READS * (b.readExecMs - a.readExecMs);
    const writeAddedMs = mixWrites * (a.writeExecMs - b.writeExecMs);
    const latencyNet = MIX_READS * (b.readMs - a.readMs) - mixWrites * (a.writeMs - b.writeMs);
    // This repetition's own exchange rate: ms saved per planner cost unit saved by the read, and what one
    // written row cost in those units.
    const msPerCostUnit = (b.readExecMs - a.readExecMs) / (b.readCost - a.readCost);
    reps.push({
      readSavedMs,
      writeAddedMs,
      vacuumAddedMs: a.vacuumMs - b.vacuumMs,
      netMs: readSavedMs - writeAddedMs,
      netWithVacuumMs: readSavedMs - writeAddedMs - (a.vacuumMs - b.vacuumMs),
      netByPgbenchLatencyMs: latencyNet,
      readCostSavedPerCall: b.readCost - a.readCost,
      usPerCostUnitSaved: msPerCostUnit * 1000,
      inSituWriteCostPerRow: (a.writeExecMs - b.writeExecMs) / msPerCostUnit,
      readExecMsPerCall: { withIndex: a.readExecMs, without: b.readExecMs },
      writeExecUsPerRow: { withIndex: a.writeExecMs * 1000, without: b.writeExecMs * 1000 },
      readLatencyMsPerCall: { withIndex: a.readMs, without: b.readMs },
      writeLatencyUsPerRow: { withIndex: a.writeMs * 1000, without: b.writeMs * 1000 },
    });
  }
  const net = spread(reps.map((r) => r.netMs));
  const readSaved = median(reps.map((r) => r.readSavedMs));
  const writeAdded = median(reps.map((r) => r.writeAddedMs));
  const breakEven = advice[0]!.breakEvenWriteCostPerRow;
  await c.query(`DROP TABLE ${advised}, ${plain}`);
  return {
    writesPerPass: mixWrites,
    readsPerPass: MIX_READS,
    indexCreated: createSql,
    indexBytes,
    advice: advice.map((a) => ({
      ...a,
      recommendsIndex: a.recommended.length > 0,
      // Right when it recommends exactly when the measured net effect is positive.
      rightCall: a.recommended.length > 0 === net.median > 0,
    })),
    measured: {
      readSavedMsPerPass: sig(readSaved),
      writeAddedMsPerPass: sig(writeAdded),
      netMsPerPass: roundSpread(net),
      netWithVacuumMsPerPass: roundSpread(spread(reps.map((r) => r.netWithVacuumMs))),
      netByPgbenchLatencyMsPerPass: roundSpread(spread(reps.map((r) => r.netByPgbenchLatencyMs))),
      // The weight at which the advisor's rule (gain > w × rows) would flip exactly where the measurement flips.
      flipWriteCostPerRow: breakEven !== null && readSaved > 0 ? sig((breakEven * writeAdded) / readSaved) : null,
      // What one written row cost in planner cost units, at this repetition's own ms per cost unit.
      inSituWriteCostPerRow: roundSpread(spread(reps.map((r) => r.inSituWriteCostPerRow)), 2),
    },
    reps: reps.map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'number' ? sig(v) : v)))),
  };
}
const partThreeStarted = performance.now();
const mixed = {
  insert: await mixedScenario('insert'),
  hot_update: await mixedScenario('hot_update'),
};
const partThreeSeconds = Math.round((performance.now() - partThreeStarted) / 1000);

// ---------------------------------------------------------------------------------------------
const hypopg = await q<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'hypopg'");
// reset_val: the cluster's value, not this session's (it sets synchronous_commit = on for pg_waldump).
const settingsRows = await q<{ name: string; setting: string; unit: string | null }>(
  `SELECT name, reset_val AS setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit',
     'full_page_writes', 'wal_compression', 'autovacuum', 'random_page_cost', 'seq_page_cost', 'cpu_tuple_cost',
     'cpu_index_tuple_cost', 'cpu_operator_cost', 'max_parallel_workers_per_gather', 'jit')`,
);
await c.end();
await db.drop();
await server.stop();
rmSync(scratch, { recursive: true, force: true });

const scale = (x: Spread, f: number): Spread => ({ ...x, median: x.median * f, min: x.min * f, max: x.max * f });
const rs = (xs: number[], f = 1) => roundSpread(spread(xs.map((x) => x * f)));
const results = {
  generatedAt: new Date().toISOString(),
  command: `scripts/run-source.sh bench/performance/write-penalty.ts ${process.argv.slice(2).join(' ')}`.trim(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtEnd: loadavg().map((l) => sig(l, 2)),
    node: process.version,
    postgres: server.version.text,
    hypopg: hypopg[0]?.v ?? null,
    settings: Object.fromEntries(settingsRows.map((s) => [s.name, s.unit ? `${s.setting} ${s.unit}` : s.setting])),
  },
  parameters: {
    rows: ROWS,
    txnsPerRun: TXNS,
    reps: REPS,
    mixReps: MIX_REPS,
    mixReads: MIX_READS,
    readParams: READ_PARAMS,
  },
  durationSeconds: {
    setup: setupSeconds,
    partOne: partOneSeconds,
    partThree: partThreeSeconds,
    total: Math.round((performance.now() - started) / 1000),
  },
  indexes: INDEXES.map((i, k) => ({ order: k + 1, columns: i.columns })),
  sizesAfterBuild: sizes,
  writeThroughput: throughput,
  incrementsUs: Object.fromEntries(
    OPS.map((op) => [
      op,
      {
        latencyPerIndex: rs(increments[op].latency.slope0to3, 1000),
        latencySteps: increments[op].latency.step.map((s) => rs(s, 1000)),
        latencyPerIndexFrom1: rs(increments[op].latency.slope1to3, 1000),
        execPerIndex: rs(increments[op].exec.slope0to3, 1000),
        execSteps: increments[op].exec.step.map((s) => rs(s, 1000)),
        execPerIndexFrom1: rs(increments[op].exec.slope1to3, 1000),
      },
    ]),
  ),
  vacuumMs: [0, 1, 2, 3].map((k) => ({
    indexes: k,
    ms: rs(vacuums.filter((v) => v.indexes === k).map((v) => v.ms)),
    deadTuples: median(vacuums.filter((v) => v.indexes === k).map((v) => v.deadTuples)),
  })),
  readCalibration: calibration.map((r) => ({ ...r, msPerCostUnitSaved: sig(r.msPerCostUnitSaved) })),
  readCalibrationSerial: calibrationSerial.map((r) => ({ ...r, msPerCostUnitSaved: sig(r.msPerCostUnitSaved) })),
  usPerCostUnitSaved: {
    parallelReads: roundSpread(scale(msPerCost, 1000)),
    serialReads: roundSpread(scale(msPerCostSerial, 1000)),
  },
  impliedWriteCostPerRow: JSON.parse(
    JSON.stringify(impliedWeights, (_k, v) =>
      v && typeof v === 'object' && 'median' in v ? roundSpread(v as Spread, 2) : v,
    ),
  ),
  writeCostPerRowUsedInPartThree: wImplied,
  mixedWorkload: mixed,
};
writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${OUT} in ${results.durationSeconds.total} s`);

const fmt = (s: Spread) => `${s.median} (${s.min}–${s.max})`;
const lines = [
  '| indexes | op | tps median (min–max) | latency µs | exec µs/row | WAL B/row | FPI/row | HOT share |',
  '|---:|---|---:|---:|---:|---:|---:|---:|',
];
for (const op of OPS)
  for (const t of throughput[op]!)
    lines.push(
      `| ${t.indexes} | ${op} | ${fmt(t.tps)} | ${t.latencyUs.median} | ${t.execUsPerRow.median} | ${t.walBytesPerRow.median} | ${t.fullPageImagesPerRow.median} | ${t.hotShare ?? ''} |`,
    );
process.stdout.write(`${lines.join('\n')}\n\n${JSON.stringify(results.impliedWriteCostPerRow, null, 1)}\n`);
