import type { FitResult } from './types.js';
import { horizonStandardError } from './variance.js';

export interface HoltOptions {
  alphas?: readonly number[];
  betas?: readonly number[];
  /** Damping factors tried; 1 is Holt's undamped linear trend. */
  phis?: readonly number[];
}

const ALPHAS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const BETAS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5];
const PHIS = [0.8, 0.9, 0.95, 0.98, 1];

/** Σ_{i=1..h} φ^i: how much of today's trend survives h steps of damping. */
export function dampedSum(phi: number, h: number): number {
  if (phi === 1) return h;
  return (phi * (1 - phi ** h)) / (1 - phi);
}

interface HoltRun {
  sse: number;
  level: number;
  trend: number;
}

function run(ys: readonly number[], alpha: number, beta: number, phi: number): HoltRun {
  let level = ys[0]!;
  // A few first differences: one difference is too noisy to start a trend from.
  const k = Math.min(4, ys.length - 1);
  let trend = (ys[k]! - ys[0]!) / k;
  let sse = 0;
  for (let t = 1; t < ys.length; t++) {
    const pred = level + phi * trend;
    const e = ys[t]! - pred;
    sse += e * e;
    level = pred + alpha * e;
    trend = phi * trend + alpha * beta * e;
  }
  return { sse, level, trend };
}

/**
 * Holt's linear trend with damping φ (ETS(A,Ad,N)), parameters chosen by grid
 * search minimising the one-step-ahead squared error. Damping keeps a recent
 * burst from being extrapolated for months, which is what makes it the
 * robust default in the M-competitions.
 */
export function fitHolt(values: readonly number[], options: HoltOptions = {}): FitResult {
  const n = values.length;
  if (n < 5) return { ok: false, name: 'holt_damped', reason: `needs at least 5 points, has ${n}` };
  let best: (HoltRun & { alpha: number; beta: number; phi: number }) | undefined;
  for (const alpha of options.alphas ?? ALPHAS) {
    for (const beta of options.betas ?? BETAS) {
      for (const phi of options.phis ?? PHIS) {
        const r = run(values, alpha, beta, phi);
        if (Number.isFinite(r.sse) && (!best || r.sse < best.sse)) best = { ...r, alpha, beta, phi };
      }
    }
  }
  if (!best || !Number.isFinite(best.level) || !Number.isFinite(best.trend)) {
    return { ok: false, name: 'holt_damped', reason: 'no parameter set produced a finite fit' };
  }
  const { level, trend, alpha, beta, phi } = best;
  const sigma = Math.sqrt(best.sse / Math.max(1, n - 3));
  return {
    ok: true,
    model: {
      name: 'holt_damped',
      trendPerStep: phi * trend,
      params: { alpha, beta, phi },
      predict: (h) => level + dampedSum(phi, h) * trend,
      // c_j = α(1 + β Σ_{i≤j} φ^i)  (Hyndman et al., ETS(A,Ad,N)).
      standardError: horizonStandardError(sigma, (j) => alpha * (1 + beta * dampedSum(phi, j))),
    },
  };
}
