import type { Point, RegularSeries } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// Every step divides one week, so a weekly season is a whole number of steps.
const NICE_STEPS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  6 * HOUR,
  8 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
];

export interface ResampleOptions {
  /** Upper bound on grid points; longer histories get a coarser step. Default 500. */
  maxPoints?: number;
}

function median(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The grid step: no finer than the typical sampling interval, no more than `maxPoints` over the span. */
export function chooseStep(points: readonly Point[], maxPoints = 500): number {
  if (points.length < 2) return HOUR;
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) gaps.push(points[i]!.t - points[i - 1]!.t);
  gaps.sort((a, b) => a - b);
  const span = points[points.length - 1]!.t - points[0]!.t;
  const wanted = Math.max(median(gaps), span / Math.max(2, maxPoints));
  return NICE_STEPS.find((s) => s >= wanted * 0.999) ?? NICE_STEPS[NICE_STEPS.length - 1]!;
}

/**
 * Averages samples into grid buckets and fills empty buckets by linear
 * interpolation, so Holt and Holt-Winters (which assume equal spacing) can
 * run on irregular collection.
 */
export function resample(points: readonly Point[], options: ResampleOptions = {}): RegularSeries {
  if (points.length === 0) return { start: 0, stepMs: HOUR, values: [], interpolated: 0 };
  const stepMs = chooseStep(points, options.maxPoints ?? 500);
  const start = points[0]!.t;
  const n = Math.floor((points[points.length - 1]!.t - start) / stepMs) + 1;
  const sums = new Float64Array(n);
  const counts = new Uint32Array(n);
  for (const p of points) {
    const k = Math.min(n - 1, Math.floor((p.t - start) / stepMs));
    sums[k]! += p.v;
    counts[k]!++;
  }
  const values: number[] = new Array(n);
  let interpolated = 0;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    if (counts[k]! === 0) continue;
    values[k] = sums[k]! / counts[k]!;
    if (prev >= 0 && k - prev > 1) {
      const a = values[prev]!;
      const b = values[k]!;
      for (let j = prev + 1; j < k; j++) {
        values[j] = a + ((b - a) * (j - prev)) / (k - prev);
        interpolated++;
      }
    }
    prev = k;
  }
  return { start, stepMs, values, interpolated };
}

export const TIME = { MINUTE, HOUR, DAY } as const;
