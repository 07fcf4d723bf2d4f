// Small statistics helpers for write-penalty.ts: medians, spreads and least-squares slopes.
// Kept apart from the benchmark so they can be checked without a server.

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(values: number[]): Spread {
  return {
    median: median(values),
    min: values.length > 0 ? Math.min(...values) : Number.NaN,
    max: values.length > 0 ? Math.max(...values) : Number.NaN,
    n: values.length,
  };
}

/** Least-squares slope of y over x: the per-index increment when x is the number of indexes. */
export function slope(xs: number[], ys: number[]): number {
  if (xs.length !== ys.length || xs.length < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/** Rounds to `digits` significant digits, for readable JSON. */
export function sig(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

export function roundSpread(s: Spread, digits = 3): Spread {
  return { median: sig(s.median, digits), min: sig(s.min, digits), max: sig(s.max, digits), n: s.n };
}

/**
 * The ratio of two measured quantities with its widest plausible range:
 * median/median, and the extremes min/max and max/min.
 */
export function ratioSpread(num: Spread, den: Spread): Spread {
  return {
    median: num.median / den.median,
    min: num.min / den.max,
    max: num.max / den.min,
    n: num.n * den.n,
  };
}

/** pgbench's summary: latency average and tps (without initial connection time). */
export function parsePgbench(stdout: string): { latencyMs: number; tps: number; transactions: number } {
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  const done = /number of transactions actually processed: (\d+)/.exec(stdout);
  if (!latency || !tps || !done) throw new Error(`Unexpected pgbench output:\n${stdout}`);
  return { latencyMs: Number(latency[1]), tps: Number(tps[1]), transactions: Number(done[1]) };
}

export interface WalBreakdown {
  records: number;
  /** WAL record bytes without full-page images. */
  recordBytes: number;
  /** Bytes of full-page images (first change of a page after a checkpoint). */
  fpiBytes: number;
  /** Record bytes by resource manager (Heap, Heap2, Btree, Transaction, …), only those present. */
  byType: Record<string, { records: number; recordBytes: number; fpiBytes: number }>;
}

/** `pg_waldump --stats` output: totals and the per-resource-manager rows. */
export function parseWaldumpStats(stdout: string): WalBreakdown {
  const byType: WalBreakdown['byType'] = {};
  for (const m of stdout.matchAll(/^(\w+)\s+(\d+) \(\s*[\d.]+\)\s+(\d+) \(\s*[\d.]+\)\s+(\d+) \(/gm)) {
    if (Number(m[2]) > 0) byType[m[1]!] = { records: Number(m[2]), recordBytes: Number(m[3]), fpiBytes: Number(m[4]) };
  }
  const total = /^Total\s+(\d+)\s+(\d+) \[[\d.]+%\]\s+(\d+) \[/m.exec(stdout);
  if (!total) throw new Error(`Unexpected pg_waldump output:\n${stdout.slice(0, 500)}`);
  return { records: Number(total[1]), recordBytes: Number(total[2]), fpiBytes: Number(total[3]), byType };
}
