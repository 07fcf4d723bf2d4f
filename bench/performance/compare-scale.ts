// The default report at 10,000 tables / 5,000 statements, this checkout against a baseline copy of the
// performance package's source, interleaved in one process on one database: on a shared, loaded machine wall
// times drift by 2-3x within minutes, so only a side-by-side ratio means anything.
//
//   git archive <base> packages/performance/src | tar -x -C packages/performance/.bench-base --strip-components=2
//   scripts/run-source.sh bench/performance/compare-scale.ts --baseline packages/performance/.bench-base/src [--reps 4] [--url URL]
//     [--configs default,top1000] [--out compare-results.json]
//
// --configs: advisor settings to compare, each in its own set of pairs: `default` (the top 500 statements, 10
// indexes) and `top1000` (the top 1,000 statements, up to 1,000 indexes: the "1,000 statements advised").
//
// The baseline must sit inside packages/performance so that its imports (pg, @voicehive/db-core) resolve.
// Without --url a throwaway server is started and the scale database built (scale-fixture.ts).
// Writes compare-results.json next to this file.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as current from '@voicehive/db-performance';
import { createTestDatabase, startPostgres } from '@voicehive/db-testing';
import { buildScaleDatabase } from './scale-fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const opt = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const baselineDir = opt('baseline');
if (!baselineDir) throw new Error('--baseline DIR (a copy of packages/performance/src) is required');
const REPS = Number(opt('reps') ?? 4);
const CONFIGS: Record<string, Record<string, number>> = {
  default: {},
  top1000: { maxStatements: 1000, maxIndexes: 1000 },
};
const configNames = (opt('configs') ?? 'default').split(',');
for (const c of configNames)
  if (!CONFIGS[c]) throw new Error(`--configs: unknown ${c} (known: ${Object.keys(CONFIGS)})`);
// A bare name lands next to this file; a path is taken as given.
const OUT = opt('out') ?? 'compare-results.json';
const log = (m: string) => process.stderr.write(`[compare] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const load = () => loadavg().map((x) => Math.round(x * 10) / 10);

const baseline = (await import(pathToFileURL(resolve(baselineDir, 'index.ts')).href)) as typeof current;
const variants = { baseline, current } as const;

let url = opt('url');
let stop: (() => Promise<void>) | undefined;
if (!url) {
  const server = await startPostgres({
    settings: { 'pg_stat_statements.max': 10000, shared_buffers: '256MB', max_locks_per_transaction: 256 },
  });
  const db = await createTestDatabase(server);
  await buildScaleDatabase(db.url, { tables: 10_000, statements: 5_000, log });
  url = db.url;
  stop = async () => {
    await db.drop();
    await server.stop();
  };
}

interface Run {
  config: string;
  variant: string;
  rep: number;
  reportMs: number;
  nodeCpuMs: number;
  roundTrips: number;
  advisorMs: number;
  whatIfCalls: number;
  recommendations: string[];
  load: number[];
  timings: Record<string, number>;
}
const runs: Run[] = [];
try {
  // One unmeasured report per variant first: the WASM parser's first use and the server's catalog caches.
  for (const v of Object.values(variants)) {
    const o = new v.DatabasePerformanceOptimizer(url);
    await o.getPerformanceReport({ store: 'none' });
    await o.close();
  }
  for (const config of configNames) {
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
      for (const name of order) {
        const o = new variants[name].DatabasePerformanceOptimizer(url, { advisor: CONFIGS[config]! });
        await o.initialize();
        const cpu = process.cpuUsage();
        const t = performance.now();
        const r = await o.getPerformanceReport({ store: 'none' });
        const reportMs = Math.round(performance.now() - t);
        const used = process.cpuUsage(cpu);
        await o.close();
        runs.push({
          config,
          variant: name,
          rep,
          reportMs,
          nodeCpuMs: Math.round((used.user + used.system) / 1000),
          roundTrips: r.roundTrips,
          advisorMs: Math.round(r.advisor.durationMs),
          whatIfCalls: r.advisor.whatIfCalls,
          // The whole statement (keys, INCLUDE, WHERE) and the estimate: identical picks give identical text.
          recommendations: r.indexRecommendations.map((x) => `${x.createSql} -${x.estimatedCostReduction}`).sort(),
          load: load(),
          timings: r.timings,
        });
        log(
          `${config} ${name} #${rep}: ${reportMs} ms, node CPU ${runs.at(-1)!.nodeCpuMs} ms, ${r.roundTrips} trips, load ${load()[0]}`,
        );
      }
    }
  }
} finally {
  await stop?.();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summarise = (config: string) => {
  const mine = runs.filter((r) => r.config === config);
  const of = (name: string, key: 'reportMs' | 'nodeCpuMs' | 'roundTrips' | 'advisorMs') =>
    median(mine.filter((r) => r.variant === name).map((r) => r[key]));
  const pairs = Array.from({ length: REPS }, (_, rep) => {
    const b = mine.find((r) => r.rep === rep && r.variant === 'baseline')!;
    const c = mine.find((r) => r.rep === rep && r.variant === 'current')!;
    return Math.round((c.reportMs / b.reportMs) * 100) / 100;
  });
  return {
    advisor: CONFIGS[config],
    medianReportMs: { baseline: of('baseline', 'reportMs'), current: of('current', 'reportMs') },
    medianNodeCpuMs: { baseline: of('baseline', 'nodeCpuMs'), current: of('current', 'nodeCpuMs') },
    medianAdvisorMs: { baseline: of('baseline', 'advisorMs'), current: of('current', 'advisorMs') },
    roundTrips: { baseline: of('baseline', 'roundTrips'), current: of('current', 'roundTrips') },
    currentOverBaselinePerPair: pairs,
    loadRange: [Math.min(...mine.map((r) => r.load[0]!)), Math.max(...mine.map((r) => r.load[0]!))],
    sameRecommendations: mine.every(
      (r) => JSON.stringify(r.recommendations) === JSON.stringify(mine[0]!.recommendations),
    ),
  };
};
const summary = Object.fromEntries(configNames.map((c) => [c, summarise(c)]));
log(JSON.stringify(summary));
writeFileSync(
  resolve(HERE, OUT),
  `${JSON.stringify({ generatedAt: new Date().toISOString(), reps: REPS, summary, runs }, null, 2)}\n`,
);
log(`wrote ${OUT}`);
