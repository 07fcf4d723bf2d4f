import { TIME } from './resample.js';
import type { Point } from './types.js';

export type SeriesFamily =
  | 'linear'
  | 'exponential'
  | 'weekly_seasonal'
  | 'step_change'
  | 'noisy_flat'
  | 'level_shift_up'
  | 'level_shift_down'
  | 'trend_change'
  | 'outlier_spikes'
  | 'missing_stretches';

export interface SyntheticOptions {
  /** Length of history, days. Default 60. */
  days?: number;
  /** Samples per day. Default 24 (hourly). */
  perDay?: number;
  /** First value. Default 10 GiB. */
  start?: number;
  /** Linear growth per day, or the exponential model's growth of `start` per day. Default 100 MiB. */
  growthPerDay?: number;
  /** Noise standard deviation relative to `start`. Default 0.002. */
  noise?: number;
  /** PRNG seed, so runs are reproducible. Default 1. */
  seed?: number;
  /** Timestamp of the first sample, epoch ms. Default: `days` before 2026-01-01. */
  startTime?: number;
  /** Day of the level shift or trend change. Default 60% of `days`. */
  changeDay?: number;
  /** Samples are generated only before this day (the rest is the future to score against). Spikes and gaps fall before it. Default `days`. */
  historyDays?: number;
}

export interface SyntheticSeries {
  family: SeriesFamily;
  points: Point[];
  /** The same samples without injected spikes (truth + noise): what a forecast is scored against. */
  observed: Point[];
  /** The noise-free value at any time: the known truth forecasts are scored against. */
  truth(t: number): number;
}

/** mulberry32: tiny, seedable, good enough for test noise. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function truthFor(family: SeriesFamily, start: number, g: number, changeDay: number): (d: number) => number {
  const rate = Math.log1p(g / start);
  switch (family) {
    case 'linear':
    case 'outlier_spikes':
    case 'missing_stretches':
      return (d) => start + g * d;
    case 'exponential':
      return (d) => start * Math.exp(rate * d);
    case 'weekly_seasonal':
      // Weekday traffic fills temp space and WAL; weekends drain it.
      return (d) => start + g * d + 0.03 * start * Math.sin((2 * Math.PI * (d % 7)) / 7);
    case 'step_change':
    case 'level_shift_up':
      // A bulk import or backfill, then the usual growth continues.
      return (d) => start + g * d + (d >= changeDay ? 0.2 * start : 0);
    case 'level_shift_down':
      // A VACUUM FULL or a dropped partition gives back a quarter, then growth continues.
      return (d) => start + g * d - (d >= changeDay ? 0.25 * start : 0);
    case 'trend_change':
      // A new feature triples the write rate; the size is continuous, its slope is not.
      return (d) => start + 0.5 * g * d + (d >= changeDay ? 2 * g * (d - changeDay) : 0);
    case 'noisy_flat':
      return () => start;
  }
}

/** Day ranges with no samples: two to three stretches of half a day to three days before `historyDays`. */
function gapsFor(rand: () => number, historyDays: number): [number, number][] {
  const count = 2 + Math.floor(rand() * 2);
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const from = 2 + rand() * Math.max(1, historyDays - 8);
    out.push([from, from + 0.5 + rand() * 2.5]);
  }
  return out;
}

/**
 * Capacity-shaped test series with a known truth, used by the tests and by
 * bench/capacity so that accuracy claims are reproducible.
 */
export function syntheticSeries(family: SeriesFamily, options: SyntheticOptions = {}): SyntheticSeries {
  const days = options.days ?? 60;
  const perDay = options.perDay ?? 24;
  const start = options.start ?? 10 * 2 ** 30;
  const g = options.growthPerDay ?? 100 * 2 ** 20;
  const noise = (options.noise ?? 0.002) * start;
  const t0 = options.startTime ?? Date.UTC(2026, 0, 1) - days * TIME.DAY;
  const rand = seededRandom(options.seed ?? 1);
  const historyDays = options.historyDays ?? days;
  const truthAtDay = truthFor(family, start, g, options.changeDay ?? days * 0.6);
  const gaps = family === 'missing_stretches' ? gapsFor(rand, historyDays) : [];
  const points: Point[] = [];
  const observed: Point[] = [];
  const n = Math.round(days * perDay);
  const flatNoise = family === 'noisy_flat' ? 10 * noise : noise;
  for (let i = 0; i < n; i++) {
    const d = i / perDay;
    const t = t0 + d * TIME.DAY;
    const v = truthAtDay(d) + flatNoise * gaussian(rand);
    observed.push({ t, v });
    if (gaps.some(([a, b]) => d >= a && d < b)) continue;
    // About one sample in 150 is a transient spike (a temp-file burst, a long sort spilling) that returns.
    const spike = family === 'outlier_spikes' && d < historyDays && rand() < 1 / 150 ? 0.3 + rand() * 0.7 : 0;
    points.push({ t, v: v + spike * start });
  }
  return { family, points, observed, truth: (t) => truthAtDay((t - t0) / TIME.DAY) };
}
