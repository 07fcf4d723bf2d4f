import { TIME } from './resample.js';
import type { Point } from './types.js';

export type SeriesFamily = 'linear' | 'exponential' | 'weekly_seasonal' | 'step_change' | 'noisy_flat';

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
}

export interface SyntheticSeries {
  family: SeriesFamily;
  points: Point[];
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
  const rate = Math.log1p(g / start);
  const stepAt = days * 0.6;
  const truthAtDay = (d: number): number => {
    switch (family) {
      case 'linear':
        return start + g * d;
      case 'exponential':
        return start * Math.exp(rate * d);
      case 'weekly_seasonal': {
        // Weekday traffic fills temp space and WAL; weekends drain it.
        const dow = d % 7;
        return start + g * d + 0.03 * start * Math.sin((2 * Math.PI * dow) / 7);
      }
      case 'step_change':
        // A bulk import at 60% of the history, then the usual growth continues.
        return start + g * d + (d >= stepAt ? 0.2 * start : 0);
      case 'noisy_flat':
        return start;
    }
  };
  const points: Point[] = [];
  const n = Math.round(days * perDay);
  const flatNoise = family === 'noisy_flat' ? 10 * noise : noise;
  for (let i = 0; i < n; i++) {
    const d = i / perDay;
    points.push({ t: t0 + d * TIME.DAY, v: truthAtDay(d) + flatNoise * gaussian(rand) });
  }
  return { family, points, truth: (t) => truthAtDay((t - t0) / TIME.DAY) };
}
