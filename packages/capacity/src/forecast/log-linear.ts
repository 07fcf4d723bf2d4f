import type { FitResult } from './types.js';

export interface LogLinearOptions {
  /** Fit only the last `windowSteps` points. Default: all. */
  windowSteps?: number;
  /** Below this R² (on the log scale) the model declines. Default 0.7. */
  minRSquared?: number;
}

// e^700 is near the largest finite double; a forecast that far out is clipped, not Infinity.
const MAX_EXP = 700;

/**
 * Compound growth: least squares on ln(value) over a trailing window, so the
 * forecast grows by a constant factor per step (a table that grows with its
 * user base). The error model lives on the log scale too, which makes the
 * prediction interval multiplicative and asymmetric once transformed back:
 * exp(ŷ ± z·se), never negative.
 */
export function fitLogLinear(values: readonly number[], options: LogLinearOptions = {}): FitResult {
  const minR2 = options.minRSquared ?? 0.7;
  const w = Math.min(values.length, Math.max(3, options.windowSteps ?? values.length));
  const ys = values.slice(values.length - w);
  const n = ys.length;
  if (n < 3) return { ok: false, name: 'log_linear', reason: `needs at least 3 points, has ${n}` };
  if (!ys.every((y) => y > 0)) {
    return { ok: false, name: 'log_linear', reason: 'needs positive values (a multiplicative model has no zero)' };
  }
  const ls = ys.map(Math.log);
  const xMean = (n - 1) / 2;
  let yMean = 0;
  for (const l of ls) yMean += l;
  yMean /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (i - xMean) ** 2;
    sxy += (i - xMean) * (ls[i]! - yMean);
    syy += (ls[i]! - yMean) ** 2;
  }
  const b = sxy / sxx;
  const a = yMean - b * xMean;
  const sse = Math.max(0, syy - b * sxy);
  const r2 = syy === 0 ? 1 : 1 - sse / syy;
  if (!Number.isFinite(b) || !Number.isFinite(a)) {
    return { ok: false, name: 'log_linear', reason: 'the regression did not converge' };
  }
  if (r2 < minR2) {
    return {
      ok: false,
      name: 'log_linear',
      reason: `R² ${r2.toFixed(2)} (log scale) is below ${minR2.toFixed(2)}: the history does not grow by a steady factor`,
    };
  }
  const se = Math.sqrt(sse / Math.max(1, n - 2));
  const last = n - 1;
  const logAt = (h: number) => Math.min(MAX_EXP, a + b * (last + h));
  return {
    ok: true,
    model: {
      name: 'log_linear',
      scale: 'log',
      // The slope of exp(a + b·x) at the last point, in value units per step.
      trendPerStep: b * Math.exp(logAt(0)),
      rSquared: r2,
      params: { ratePerStep: b, logIntercept: a, windowSteps: n },
      predict: (h) => Math.exp(logAt(h)),
      standardError: (h) => se * Math.sqrt(1 + 1 / n + (last + h - xMean) ** 2 / sxx),
    },
  };
}
