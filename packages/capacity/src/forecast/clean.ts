import type { Point, RawPoint } from './types.js';

export interface CleanOptions {
  /** Reference time for clock-jump detection, epoch ms. Default `Date.now()`. */
  now?: number;
  /** Samples stamped further than this in the future of `now` are dropped as clock jumps. Default 1 day. */
  futureToleranceMs?: number;
  /** Samples older than `now - maxAgeMs` are dropped. Default: no limit. */
  maxAgeMs?: number;
  /** Values with a larger magnitude are dropped (they would overflow sums of squares). Default 1e18. */
  maxAbs?: number;
  /** Drop negative values (sizes, counts). Default false. */
  nonNegative?: boolean;
}

export type DropReason =
  | 'bad_timestamp'
  | 'bad_value'
  | 'clock_jump'
  | 'too_old'
  | 'out_of_range'
  | 'negative'
  | 'duplicate';

export interface CleanResult {
  /** Finite points in strictly increasing time order. */
  points: Point[];
  dropped: Partial<Record<DropReason, number>>;
  /** True when the input arrived out of time order (a clock stepped back, or a replica's clock differs). */
  reordered: boolean;
}

// Timestamps outside this window are not clock readings but garbage (seconds passed as ms, year 275760...).
const MIN_TS = Date.UTC(1990, 0, 1);
const MAX_TS = Date.UTC(2200, 0, 1);

export function toFiniteNumber(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value);
  else return undefined;
  return Number.isFinite(n) ? n : undefined;
}

function toEpochMs(value: unknown): number | undefined {
  if (value instanceof Date) return toFiniteNumber(value.getTime());
  if (typeof value === 'string' && value.trim() !== '' && Number.isNaN(Number(value))) {
    return toFiniteNumber(Date.parse(value));
  }
  return toFiniteNumber(value);
}

/**
 * Turns whatever arrived from a store or a caller into finite, time-ordered
 * points. Duplicated timestamps are averaged: two replicas, or a retried
 * write, saw the same instant, and neither reading is more right.
 */
export function cleanSeries(raw: readonly RawPoint[] | readonly Point[], options: CleanOptions = {}): CleanResult {
  const now = toFiniteNumber(options.now) ?? Date.now();
  const future = options.futureToleranceMs ?? 86_400_000;
  const maxAbs = options.maxAbs ?? 1e18;
  const dropped: Partial<Record<DropReason, number>> = {};
  const drop = (reason: DropReason) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
  };
  const kept: Point[] = [];
  let reordered = false;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of Array.isArray(raw) ? raw : []) {
    if (p === null || typeof p !== 'object') {
      drop('bad_value');
      continue;
    }
    const t = toEpochMs((p as RawPoint).t);
    if (t === undefined || t < MIN_TS || t > MAX_TS) {
      drop('bad_timestamp');
      continue;
    }
    const v = toFiniteNumber((p as RawPoint).v);
    if (v === undefined) {
      drop('bad_value');
      continue;
    }
    if (t > now + future) {
      drop('clock_jump');
      continue;
    }
    if (options.maxAgeMs !== undefined && t < now - options.maxAgeMs) {
      drop('too_old');
      continue;
    }
    if (Math.abs(v) > maxAbs) {
      drop('out_of_range');
      continue;
    }
    if (options.nonNegative && v < 0) {
      drop('negative');
      continue;
    }
    if (t < last) reordered = true;
    last = Math.max(last, t);
    kept.push({ t, v });
  }
  kept.sort((a, b) => a.t - b.t);
  const points: Point[] = [];
  let i = 0;
  while (i < kept.length) {
    let j = i;
    let sum = 0;
    while (j < kept.length && kept[j]!.t === kept[i]!.t) {
      sum += kept[j]!.v;
      j++;
    }
    if (j - i > 1) dropped.duplicate = (dropped.duplicate ?? 0) + (j - i - 1);
    points.push({ t: kept[i]!.t, v: sum / (j - i) });
    i = j;
  }
  return { points, dropped, reordered };
}
