import { TIME } from './resample.js';

/**
 * Slope t-statistic of a least-squares line through the values. Even a flat
 * series has a non-zero fitted trend; without this test the widening upper
 * bound would eventually "reach" any limit.
 */
export function trendTStat(values: readonly number[]): number {
  const n = values.length;
  if (n < 3) return 0;
  const xm = (n - 1) / 2;
  let ym = 0;
  for (const v of values) ym += v;
  ym /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - xm) * (values[i]! - ym);
    sxx += (i - xm) ** 2;
  }
  const slope = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (values[i]! - (ym + slope * (i - xm))) ** 2;
  const se = Math.sqrt(sse / (n - 2) / sxx);
  if (se === 0) return slope === 0 ? 0 : Math.sign(slope) * 1e9;
  const t = slope / se;
  return Number.isFinite(t) ? t : 0;
}

/** Horizons (in steps) at which a forecast path is evaluated: every step up to 4000, then evenly spread. */
export function horizonGrid(maxSteps: number): number[] {
  const count = Math.min(maxSteps, 4000);
  const out: number[] = [];
  for (let i = 1; i <= count; i++) out.push(Math.max(1, Math.round((i * maxSteps) / count)));
  return out;
}

/** Days until `path` first reaches `target`, interpolated between grid horizons; null if it never does. */
export function firstCrossing(
  path: (h: number) => number,
  current: number,
  target: number,
  grid: readonly number[],
  stepMs: number,
): number | null {
  if (current >= target) return 0;
  let prevH = 0;
  let prevV = current;
  for (const h of grid) {
    const v = path(h);
    if (!Number.isFinite(v)) return null;
    if (v >= target) {
      const frac = v === prevV ? 1 : (target - prevV) / (v - prevV);
      return ((prevH + Math.min(1, Math.max(0, frac)) * (h - prevH)) * stepMs) / TIME.DAY;
    }
    prevH = h;
    prevV = v;
  }
  return null;
}
