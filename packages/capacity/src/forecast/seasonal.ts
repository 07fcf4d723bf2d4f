import { dampedSum } from './holt.js';
import type { FitResult } from './types.js';
import { horizonStandardError } from './variance.js';

export interface SeasonalOptions {
  /** Full seasons of history needed before the model is tried. Default 2. */
  minSeasons?: number;
}

const ALPHAS = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8];
const BETAS = [0.01, 0.05, 0.15, 0.3];
const GAMMAS = [0.05, 0.15, 0.3, 0.5];
const PHIS = [0.9, 0.98, 1];

interface Init {
  level: number;
  trend: number;
  season: Float64Array;
}

function initialState(ys: readonly number[], m: number): Init {
  let mean1 = 0;
  let mean2 = 0;
  for (let i = 0; i < m; i++) {
    mean1 += ys[i]!;
    mean2 += ys[m + i]!;
  }
  mean1 /= m;
  mean2 /= m;
  const trend = (mean2 - mean1) / m;
  const season = new Float64Array(m);
  for (let i = 0; i < m; i++) season[i] = ys[i]! - (mean1 + (i - (m - 1) / 2) * trend);
  return { level: mean1 + ((m - 1) / 2) * trend, trend, season };
}

/**
 * Additive Holt-Winters with a damped trend (ETS(A,Ad,A)) for a weekly
 * season of `m` grid steps. It needs two full seasons to initialise and
 * at least one more to be judged, which is why the caller only tries it
 * after two to three weeks of history.
 */
export function fitSeasonal(values: readonly number[], m: number, options: SeasonalOptions = {}): FitResult {
  const n = values.length;
  const minSeasons = options.minSeasons ?? 2;
  if (!Number.isInteger(m) || m < 2)
    return { ok: false, name: 'holt_winters', reason: 'the grid step does not divide a week' };
  if (n < m * minSeasons + 2) {
    const have = (n / m).toFixed(1);
    return { ok: false, name: 'holt_winters', reason: `needs ${minSeasons} weeks of history, has ${have}` };
  }
  const init = initialState(values, m);
  let best:
    | {
        sse: number;
        level: number;
        trend: number;
        season: Float64Array;
        alpha: number;
        beta: number;
        gamma: number;
        phi: number;
      }
    | undefined;
  const season = new Float64Array(m);
  for (const alpha of ALPHAS) {
    for (const beta of BETAS) {
      for (const gamma of GAMMAS) {
        for (const phi of PHIS) {
          season.set(init.season);
          let level = init.level;
          let trend = init.trend;
          let sse = 0;
          for (let t = m; t < n; t++) {
            const s = season[t % m]!;
            const pred = level + phi * trend + s;
            const e = values[t]! - pred;
            sse += e * e;
            level = level + phi * trend + alpha * e;
            trend = phi * trend + alpha * beta * e;
            season[t % m] = s + gamma * e;
          }
          if (Number.isFinite(sse) && (!best || sse < best.sse)) {
            best = { sse, level, trend, season: Float64Array.from(season), alpha, beta, gamma, phi };
          }
        }
      }
    }
  }
  if (!best || !Number.isFinite(best.level) || !Number.isFinite(best.trend)) {
    return { ok: false, name: 'holt_winters', reason: 'no parameter set produced a finite fit' };
  }
  const { level, trend, alpha, beta, gamma, phi } = best;
  const seasonFinal = best.season;
  const sigma = Math.sqrt(best.sse / Math.max(1, n - m - 4));
  const lastIndex = n - 1;
  return {
    ok: true,
    model: {
      name: 'holt_winters',
      trendPerStep: phi * trend,
      params: { alpha, beta, gamma, phi, seasonSteps: m },
      predict: (h) => level + dampedSum(phi, h) * trend + seasonFinal[(lastIndex + h) % m]!,
      standardError: horizonStandardError(
        sigma,
        (j) => alpha * (1 + beta * dampedSum(phi, j)) + (j % m === 0 ? gamma : 0),
      ),
    },
  };
}
