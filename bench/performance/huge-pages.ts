// The default report at 10,000 tables / 5,000 statements on two servers that differ only in huge_pages,
// interleaved in one process: is the ≤ 2 s bound a property of the code or of how the server maps memory?
//
//   echo 400 > /proc/sys/vm/nr_hugepages     # root; each server's shared memory needs ~150 pages of 2 MB
//   scripts/run-source.sh bench/performance/huge-pages.ts [--reps 6] [--out huge-pages-results.json]
//
// Why: a new server backend maps shared buffers as it first touches them. Without huge pages that is a minor
// page fault per 4 kB, ~55 us each on this VM (956 faults in 64 ms for one scan of pg_class on 10,000 tables,
// from /proc/<pid>/stat), and a report opens new connections. PostgreSQL's docs recommend huge pages for this
// (runtime config, "Linux Huge Pages"). Each report here is a fresh optimizer (a new pool), as run.ts measures.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { createTestDatabase, startPostgres } from '@voicehive/db-testing';
import { buildScaleDatabase } from './scale-fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const opt = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const REPS = Number(opt('reps') ?? 6);
const OUT = opt('out') ?? 'huge-pages-results.json';
const log = (m: string) => process.stderr.write(`[huge-pages] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const load = () => Math.round(loadavg()[0]! * 10) / 10;
// Pages a server has mapped or reserved (reserved ones count as free until first touched).
const hugePagesUsed = () => {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const n = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(m)?.[1] ?? 0);
  return n('HugePages_Total') - n('HugePages_Free') + n('HugePages_Rsvd');
};

const settings = (hugePages: 'on' | 'off') => ({
  settings: {
    'pg_stat_statements.max': 10000,
    shared_buffers: '256MB',
    max_locks_per_transaction: 256,
    huge_pages: hugePages,
  },
});
const usedBefore = hugePagesUsed();
const servers = { off: await startPostgres(settings('off')), on: await startPostgres(settings('on')) };
const hugePagesTaken = hugePagesUsed() - usedBefore;
// A server with huge_pages=on refuses to start without them, so a positive count here proves they are in use.
log(`huge pages used or reserved by the 'on' server: ${hugePagesTaken}`);
const runs: Array<{ hugePages: string; rep: number; reportMs: number; load: number; timings: Record<string, number> }> =
  [];
const dbs = [] as Array<{ drop(): Promise<void> }>;
try {
  const urls: Record<string, string> = {};
  for (const [name, server] of Object.entries(servers)) {
    const db = await createTestDatabase(server);
    dbs.push(db);
    await buildScaleDatabase(db.url, { tables: 10_000, statements: 5_000, log });
    urls[name] = db.url;
    // One unmeasured report: the WASM parser's first use, the server reading the catalog from disk.
    const o = new DatabasePerformanceOptimizer(db.url);
    await o.getPerformanceReport({ store: 'none' });
    await o.close();
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of rep % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const o = new DatabasePerformanceOptimizer(urls[name]!);
      await o.initialize();
      const t = performance.now();
      const r = await o.getPerformanceReport({ store: 'none' });
      const reportMs = Math.round(performance.now() - t);
      await o.close();
      runs.push({ hugePages: name, rep, reportMs, load: load(), timings: r.timings });
      log(`huge_pages=${name} #${rep}: ${reportMs} ms, load ${load()}`);
    }
  }
} finally {
  for (const db of dbs) await db.drop();
  await servers.off.stop();
  await servers.on.stop();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const of = (name: string) => runs.filter((r) => r.hugePages === name).map((r) => r.reportMs);
const summary = {
  hugePagesTaken,
  medianReportMs: { off: median(of('off')), on: median(of('on')) },
  everyReportMs: { off: of('off'), on: of('on') },
  loadRange: [Math.min(...runs.map((r) => r.load)), Math.max(...runs.map((r) => r.load))],
};
log(JSON.stringify(summary));
writeFileSync(
  resolve(HERE, OUT),
  `${JSON.stringify({ generatedAt: new Date().toISOString(), reps: REPS, summary, runs }, null, 2)}\n`,
);
log(`wrote ${OUT}`);
