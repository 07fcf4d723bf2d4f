import { type SegmentFit, SegmentSums } from './segments.js';

export type ChangeKind = 'level' | 'trend';

/** A change found on the grid: the new regime starts at `index`. */
export interface GridChange {
  index: number;
  /** The point before `index` straddles the change (a bucket averaged across a step) and belongs to neither side. */
  transition: boolean;
  kind: ChangeKind;
  /** Level: the jump, in series units. Trend: the change of slope, in series units per grid step. */
  size: number;
  /** How many standard errors the change is away from zero. */
  tStat: number;
}

export interface ChangePointOptions {
  /** Shortest segment, in grid steps. The caller passes about a day. Default 4. */
  minSegment?: number;
  /** Penalty per change, in units of σ²·ln(n) (3 = BIC for location, level and slope). Default 6. */
  penalty?: number;
  /** A change is kept only if its t-statistic reaches this. Default 4. */
  minTStat?: number;
  /** A level change smaller than this share of the level is ignored. Default 0.005. */
  minShiftFraction?: number;
  /** A trend change smaller than this share of the larger slope is ignored. Default 0.25. */
  minSlopeFraction?: number;
}

export type ChangePointResult = { ok: true; changes: GridChange[] } | { ok: false; reason: string };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Noise σ from second differences: a piecewise-linear signal cancels in them
 * except at the few change points, which the median ignores. For white noise
 * Var(Δ²e) = 6σ².
 */
export function robustSigma(values: readonly number[]): number {
  const d2: number[] = [];
  for (let i = 1; i + 1 < values.length; i++) d2.push(Math.abs(values[i + 1]! - 2 * values[i]! + values[i - 1]!));
  return (1.4826 * median(d2)) / Math.sqrt(6);
}

/** Where a segment starts; `skip` when its first grid point straddles the change and is left out of both fits. */
export interface Boundary {
  start: number;
  skip: boolean;
}

/**
 * Optimal partitioning (Jackson et al. 2005) of the series into segments each
 * fitted by its own least-squares line, minimising Σ SSE + β per change. This
 * is the exact search PELT (Killick, Fearnhead & Eckley 2012) speeds up; at the
 * ≤ 500 grid points a forecast sees, the unpruned O(n²) search is a few ms.
 * A step inside a grid bucket averages to a value between the two levels; a
 * segment may therefore leave out its first point when that point alone is
 * more than 4σ off its line, instead of the search paying for a spurious
 * one-day segment around it.
 */
export function segmentBoundaries(values: readonly number[], minSeg: number, penalty: number): Boundary[] {
  const n = values.length;
  const sums = new SegmentSums(values);
  const sigma = robustSigma(values) / sums.scale;
  const sigma2 = Math.max(sigma * sigma, 1e-12);
  const beta = penalty * sigma2 * Math.log(Math.max(n, 2));
  const best = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const prev = new Int32Array(n + 1).fill(-1);
  const skipped = new Uint8Array(n + 1);
  best[0] = -beta;
  for (let t = minSeg; t <= n; t++) {
    for (let s = 0; s <= t - minSeg; s++) {
      if (s !== 0 && s < minSeg) continue;
      if (!Number.isFinite(best[s]!)) continue;
      let cost = sums.cost(s, t);
      let skip = 0;
      if (s > 0) {
        const without = sums.cost(s + 1, t);
        if (cost - without > 16 * sigma2) {
          cost = without;
          skip = 1;
        }
      }
      const c = best[s]! + cost + beta;
      if (c < best[t]!) {
        best[t] = c;
        prev[t] = s;
        skipped[t] = skip;
      }
    }
  }
  const out: Boundary[] = [];
  for (let t = n; t > 0 && prev[t]! > 0; t = prev[t]!) out.push({ start: prev[t]!, skip: skipped[t] === 1 });
  return out.reverse();
}

function classify(left: SegmentFit, right: SegmentFit, b: Boundary, sigma: number, o: Required<ChangePointOptions>) {
  const at = b.start + (b.skip ? 1 : 0);
  const x = b.start - (b.skip ? 0 : 0.5);
  const yl = left.intercept + left.slope * x;
  const yr = right.intercept + right.slope * x;
  const jump = yr - yl;
  const varAt = (f: SegmentFit) => 1 / f.n + (f.sxx > 0 ? (x - f.xMean) ** 2 / f.sxx : 0);
  const seJump = sigma * Math.sqrt(varAt(left) + varAt(right));
  const dSlope = right.slope - left.slope;
  const seSlope = sigma * Math.sqrt((left.sxx > 0 ? 1 / left.sxx : 1) + (right.sxx > 0 ? 1 / right.sxx : 1));
  const level = Math.max(Math.abs(yl), Math.abs(yr));
  const tJump = seJump > 0 ? Math.abs(jump) / seJump : Number.POSITIVE_INFINITY;
  const tSlope = seSlope > 0 ? Math.abs(dSlope) / seSlope : Number.POSITIVE_INFINITY;
  const out: GridChange[] = [];
  if (jump !== 0 && tJump >= o.minTStat && Math.abs(jump) >= o.minShiftFraction * level) {
    out.push({ index: at, transition: b.skip, kind: 'level', size: jump, tStat: Math.min(tJump, 1e6) });
  }
  const bigger = Math.max(Math.abs(left.slope), Math.abs(right.slope));
  if (dSlope !== 0 && tSlope >= o.minTStat && Math.abs(dSlope) >= o.minSlopeFraction * bigger) {
    out.push({ index: at, transition: b.skip, kind: 'trend', size: dSlope, tStat: Math.min(tSlope, 1e6) });
  }
  return out;
}

/**
 * Leaving out a segment's first point is free when that point simply belongs
 * to the segment before; only a point that fits neither side is a transition.
 */
function settle(
  b: Boundary,
  all: readonly Boundary[],
  values: readonly number[],
  sums: SegmentSums,
  sigma: number,
): Boundary {
  if (!b.skip) return b;
  const i = all.indexOf(b);
  const prev = all[i - 1];
  const left = sums.fit(prev ? prev.start + (prev.skip ? 1 : 0) : 0, b.start);
  const expected = left.intercept + left.slope * b.start;
  return Math.abs(values[b.start]! - expected) <= 4 * sigma ? { start: b.start + 1, skip: false } : b;
}

/** Keeps boundaries found on both scales (within `tol` steps), taking the linear-scale position. */
function agree(linear: Boundary[], log: Boundary[], tol: number): Boundary[] {
  return linear.filter((b) => log.some((c) => Math.abs(c.start - b.start) <= tol));
}

/**
 * Level shifts and trend changes in a (regular, outlier-free) series.
 *
 * Boundaries are searched on the series and, when it is positive, on its
 * logarithm; only those found on both are considered. A real kink or step is
 * a kink or step on either scale, while smooth curvature is not: compound
 * growth is straight on the log scale and linear growth nearly straight on the
 * linear one, so neither gets chopped into spurious "trend changes". Each kept
 * boundary is then tested with the two neighbouring segment lines: a jump
 * between them is a level change, a different slope a trend change (both may
 * hold); a boundary that passes neither test is merged away.
 */
export function detectChanges(values: readonly number[], options: ChangePointOptions = {}): ChangePointResult {
  const o: Required<ChangePointOptions> = {
    minSegment: Math.max(2, Math.round(options.minSegment ?? 4)),
    penalty: options.penalty ?? 6,
    minTStat: options.minTStat ?? 4,
    minShiftFraction: options.minShiftFraction ?? 0.005,
    minSlopeFraction: options.minSlopeFraction ?? 0.25,
  };
  const n = values.length;
  if (n < 2 * o.minSegment + 1) {
    return { ok: false, reason: `change detection needs at least ${2 * o.minSegment + 1} grid points, has ${n}` };
  }
  let bounds = segmentBoundaries(values, o.minSegment, o.penalty);
  if (bounds.length > 0 && values.every((v) => v > 0)) {
    bounds = agree(bounds, segmentBoundaries(values.map(Math.log), o.minSegment, o.penalty), o.minSegment);
  }
  const sums = new SegmentSums(values);
  const sigma = Math.max(robustSigma(values), 1e-12 * sums.scale);
  bounds = bounds.map((b) => settle(b, bounds, values, sums, sigma));
  // Merging a rejected boundary changes its neighbours' segments, so test again until nothing moves.
  for (let round = 0; round < 10; round++) {
    const found: GridChange[] = [];
    const keep: Boundary[] = [];
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i]!;
      const prev = bounds[i - 1];
      const leftFrom = prev ? prev.start + (prev.skip ? 1 : 0) : 0;
      const rightFrom = b.start + (b.skip ? 1 : 0);
      const rightTo = bounds[i + 1]?.start ?? n;
      const c = classify(sums.fit(leftFrom, b.start), sums.fit(rightFrom, rightTo), b, sigma, o);
      if (c.length > 0) keep.push(b);
      found.push(...c);
    }
    if (keep.length === bounds.length) return { ok: true, changes: found };
    bounds = keep;
  }
  return { ok: true, changes: [] };
}
