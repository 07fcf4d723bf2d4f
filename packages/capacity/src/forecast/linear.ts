import { linearRegression, rSquared } from 'simple-statistics';
import type { FitResult } from './types.js';

export interface LinearOptions {
  /** Fit only the last `windowSteps` points (a trailing window follows regime changes). Default: all. */
  windowSteps?: number;
  /** Below this R² the model declines to forecast. Default 0.7 (as Kestra's days-until-full blueprint). */
  minRSquared?: number;
}

/** Ordinary least squares over a trailing window, with the classic regression prediction interval. */
export function fitLinear(values: readonly number[], options: LinearOptions = {}): FitResult {
  const minR2 = options.minRSquared ?? 0.7;
  const w = Math.min(values.length, Math.max(3, options.windowSteps ?? values.length));
  const ys = values.slice(values.length - w);
  const n = ys.length;
  if (n < 3) return { ok: false, name: 'linear', reason: `needs at least 3 points, has ${n}` };
  const pts = ys.map((y, i) => [i, y]);
  const { m, b } = linearRegression(pts);
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (m * i + b)) ** 2;
  let r2 = sse === 0 ? 1 : rSquared(pts, (x) => m * x + b);
  if (!Number.isFinite(r2)) r2 = 0;
  if (!Number.isFinite(m) || !Number.isFinite(b))
    return { ok: false, name: 'linear', reason: 'the regression did not converge' };
  if (r2 < minR2) {
    return {
      ok: false,
      name: 'linear',
      reason: `R² ${r2.toFixed(2)} is below ${minR2.toFixed(2)}: the history does not follow a straight line`,
    };
  }
  const xMean = (n - 1) / 2;
  let sxx = 0;
  for (let i = 0; i < n; i++) sxx += (i - xMean) ** 2;
  const se = Math.sqrt(sse / Math.max(1, n - 2));
  const last = n - 1;
  return {
    ok: true,
    model: {
      name: 'linear',
      trendPerStep: m,
      rSquared: r2,
      params: { slopePerStep: m, intercept: b, windowSteps: n },
      predict: (h) => m * (last + h) + b,
      standardError: (h) => se * Math.sqrt(1 + 1 / n + (last + h - xMean) ** 2 / sxx),
    },
  };
}
