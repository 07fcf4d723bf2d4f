// Per-stage timings of the default report on an existing scale database (scale-fixture.ts), for finding what is
// slow; wall times only mean something next to the load printed with them.
//
//   scripts/run-source.sh bench/performance/profile-scale.ts --url URL [--reps 3] [--advisor '{"maxStatements":1}']
import { loadavg } from 'node:os';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';

const opt = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const url = opt('url');
if (!url) throw new Error('--url URL (a database built by scale-fixture.ts) is required');
const reps = Number(opt('reps') ?? 3);
const advisor = JSON.parse(opt('advisor') ?? '{}') as Record<string, unknown>;
const rows: Record<string, number>[] = [];
for (let rep = 0; rep <= reps; rep++) {
  const o = new DatabasePerformanceOptimizer(url, { advisor });
  await o.initialize();
  const t = performance.now();
  const r = await o.getPerformanceReport({ store: 'none' });
  const ms = Math.round(performance.now() - t);
  await o.close();
  // The first report loads the parser and warms the server's catalog caches: not counted.
  if (rep === 0) continue;
  rows.push({
    report: ms,
    load1m: Math.round(loadavg()[0]! * 10) / 10,
    trips: r.roundTrips,
    recs: r.indexRecommendations.length,
    ...r.timings,
  });
  process.stderr.write(`rep ${rep}: ${ms} ms, load ${loadavg()[0]!.toFixed(1)}\n`);
}
const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const k of keys)
  console.log(
    `${k.padEnd(36)} ${rows.map((r) => String(r[k] ?? '-').padStart(8)).join(' ')}   median ${median(rows.map((r) => r[k] ?? 0))}`,
  );
