// How long `dbrs status` takes once an analysis is stored (issue #15 §5: under 1 s).
//
//   scripts/run-source.sh bench/performance/status.ts [--scale 14] [--reps 5] [--baseline <other build's cli.js>]
//
// A pgbench database of --scale (14 ≈ 200 MB, the size the issue measured on) with a short workload, one
// maintenance cycle of the suite (it stores the analysis, as the sidecar's cycle does), then:
//  - in process: a second suite instance (what `dbrs status` creates) and its getComprehensiveStatus(), first
//    call and later ones, and the performance component's part of it (getStoredAnalysis);
//  - as a child process: the built CLI (`node packages/suite/dist/cli.js status`), node start included,
//    beside `node -e 0` and the CLI's `--help` (module loading without any database work); then status once
//    more per repetition with a preloaded probe (module.registerHooks) that reports when node reached user code,
//    when the last module was loaded and how many were, for the breakdown. With --baseline, another build of
//    the CLI (e.g. a checkout of an earlier commit, built) runs status in the same repetitions, interleaved, so
//    the two are compared at the same load.
// Writes status-results.json next to this file.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabaseReliabilitySuite } from '@voicehive/db-reliability-suite';
import { createTestDatabase, startPostgres } from '@voicehive/db-testing';
import { withClient } from './scale-fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '../../packages/suite/dist/cli.js');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SCALE = arg('scale', 14);
const REPS = arg('reps', 5);
const baselineAt = process.argv.indexOf('--baseline');
const BASELINE = baselineAt > 0 ? process.argv[baselineAt + 1] : undefined;
const log = (m: string) => process.stderr.write(`[status] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const config = { backupEnabled: false, migrationsEnabled: false, capacityEnabled: false, logLevel: 'silent' };
// Preloaded into a child: prints when node reached user code, the last module file loaded (builtins such as
// node:net are loaded by pg while it connects: not counted), the exit (ms since start) and the module count.
const PROBE = `data:text/javascript,${encodeURIComponent(`
  import { registerHooks } from 'node:module';
  import { writeSync } from 'node:fs';
  const start = performance.now(); let last = start; let modules = 0;
  registerHooks({ load(u, c, next) { const r = next(u, c); modules++; if (u.startsWith('file:')) last = performance.now(); return r; } });
  process.on('exit', () => writeSync(2, '\\nPROBE ' + JSON.stringify({ startMs: start, lastLoadMs: last, exitMs: performance.now(), modules }) + '\\n'));
`)}`;

type Probed = { startMs: number; lastLoadMs: number; exitMs: number; modules: number };
const probeMedians = (xs: Probed[]) =>
  xs.length
    ? {
        startMs: median(xs.map((x) => x.startMs)),
        lastLoadMs: median(xs.map((x) => x.lastLoadMs)),
        exitMs: median(xs.map((x) => x.exitMs)),
        modules: median(xs.map((x) => x.modules)),
      }
    : 'probe printed nothing';

const server = await startPostgres({ settings: { 'pg_stat_statements.max': 10000 } });
const results: Record<string, unknown> = {
  generatedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version, postgres: server.version.text },
  loadAverageAtStart: loadavg().map((x) => Math.round(x * 10) / 10),
};
try {
  const db = await createTestDatabase(server);
  log(`pgbench -i -s ${SCALE}`);
  const pgbench = join(server.binDir ?? '/usr/lib/postgresql/15/bin', 'pgbench');
  execFileSync(pgbench, ['-i', '-q', '-s', String(SCALE), db.url], { stdio: 'ignore' });
  execFileSync(pgbench, ['-t', '300', '-c', '2', '-M', 'prepared', db.url], { stdio: 'ignore' });
  // A statement the advisor has something to say about: a filter on a column with no index.
  await withClient(db.url, async (c) => {
    for (let i = 0; i < 20; i++) await c.query('SELECT aid FROM pgbench_accounts WHERE abalance = $1', [i]);
    return Number((await c.query('SELECT pg_database_size(current_database())::int8 AS b')).rows[0].b);
  }).then((b) => {
    results['databaseBytes'] = b;
  });

  const a = await createDatabaseReliabilitySuite(db.url, config);
  let t = performance.now();
  const cycle = await a.runMaintenanceCycle();
  results['maintenanceCycleMs'] = ms(t);
  results['analysisTask'] = cycle.tasks.find((x) => x.task === 'performance.analysis')?.outcome;
  await a.shutdown();
  log(`maintenance cycle ${results['maintenanceCycleMs']} ms (analysis ${results['analysisTask']})`);

  // In process: a fresh suite instance each time, as `dbrs status` is.
  const inProcess: { createMs: number; firstStatusMs: number; laterStatusMs: number[]; source: unknown }[] = [];
  for (let r = 0; r < REPS; r++) {
    t = performance.now();
    const b = await createDatabaseReliabilitySuite(db.url, config);
    const createMs = ms(t);
    t = performance.now();
    const first = await b.getComprehensiveStatus();
    const firstStatusMs = ms(t);
    const laterStatusMs: number[] = [];
    for (let k = 0; k < 3; k++) {
      t = performance.now();
      await b.getComprehensiveStatus();
      laterStatusMs.push(ms(t));
    }
    inProcess.push({
      createMs,
      firstStatusMs,
      laterStatusMs,
      source: first.components.performance.details?.['analysis'],
    });
    await b.shutdown();
  }
  results['inProcess'] = {
    runs: inProcess,
    medianCreateMs: median(inProcess.map((x) => x.createMs)),
    medianFirstStatusMs: median(inProcess.map((x) => x.firstStatusMs)),
    medianLaterStatusMs: median(inProcess.flatMap((x) => x.laterStatusMs)),
  };
  log(`in process: ${JSON.stringify(results['inProcess'])}`);

  // As a child process, node start included.
  const child = (args: string[]) => {
    const started = performance.now();
    const r = spawnSync(process.execPath, args, {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return {
      ms: ms(started),
      code: r.status,
      out: r.stdout.slice(0, 200),
      err: r.stderr.slice(0, 400),
      errFull: r.stderr,
    };
  };
  if (existsSync(CLI)) {
    const runs = {
      nodeOnly: [] as number[],
      help: [] as number[],
      status: [] as number[],
      codes: [] as (number | null)[],
      loadAverage: [] as number[],
      probed: [] as Probed[],
      baselineStatus: [] as number[],
      baselineProbed: [] as Probed[],
    };
    const probe = (cli: string) => {
      const line = /PROBE (\{.*\})/.exec(child(['--import', PROBE, cli, 'status']).errFull)?.[1];
      return line ? JSON.parse(line, (_k, v) => (typeof v === 'number' ? Math.round(v) : v)) : undefined;
    };
    let sample = '';
    for (let r = 0; r < REPS; r++) {
      runs.nodeOnly.push(child(['-e', '0']).ms);
      runs.help.push(child([CLI, '--help']).ms);
      const s = child([CLI, 'status']);
      runs.status.push(s.ms);
      runs.codes.push(s.code);
      runs.loadAverage.push(Math.round(loadavg()[0]! * 10) / 10);
      sample = s.out || s.err;
      const p = probe(CLI);
      if (p) runs.probed.push(p);
      if (BASELINE) {
        runs.baselineStatus.push(child([BASELINE, 'status']).ms);
        const b = probe(BASELINE);
        if (b) runs.baselineProbed.push(b);
      }
    }
    results['cli'] = {
      cli: 'packages/suite/dist/cli.js (built)',
      runs,
      medianNodeOnlyMs: median(runs.nodeOnly),
      medianHelpMs: median(runs.help),
      medianStatusMs: median(runs.status),
      // Of a probed status run: node start to user code, to the last module loaded, to exit (medians).
      medianProbe: probeMedians(runs.probed),
      ...(BASELINE
        ? {
            baseline: BASELINE.replace(/^.*?(\/[^/]+\/packages\/)/, '…$1'),
            medianBaselineStatusMs: median(runs.baselineStatus),
            medianBaselineProbe: probeMedians(runs.baselineProbed),
          }
        : {}),
      sampleOutput: sample,
    };
    log(`cli: ${JSON.stringify(results['cli'])}`);
  } else {
    results['cli'] = { notMeasured: `${CLI} is not built (pnpm build)` };
  }
  results['loadAverageAtEnd'] = loadavg().map((x) => Math.round(x * 10) / 10);
  await db.drop();
} finally {
  await server.stop();
}
writeFileSync(join(HERE, 'status-results.json'), `${JSON.stringify(results, null, 2)}\n`);
log('wrote status-results.json');
