import { TIME } from './resample.js';
import type { FitResult } from './types.js';

export interface BacktestHorizon {
  horizonDays: number;
  steps: number;
  /** Mean absolute percentage error, %; null when the actuals are (near) zero. */
  mape: number | null;
  mae: number;
  rmse: number;
  /** Root mean squared error relative to the actual value (a fraction); null when actuals are (near) zero. */
  rmsRelative: number | null;
  /** Forecast origins evaluated at this horizon. */
  origins: number;
}

export interface BacktestResult {
  horizons: BacktestHorizon[];
  /** Origins where the model declined to fit (a linear fit with poor R², say). */
  declined: number;
}

export interface BacktestOptions {
  /** Horizons to score, in days. Default [1, 7, 30]; those the history cannot cover are skipped. */
  horizonsDays?: readonly number[];
  /** Fewest points a training prefix may have. */
  minTrain: number;
  /** Most forecast origins per horizon, spread evenly and always including the latest. Default 5. */
  maxOrigins?: number;
}

function originsFor(minTrain: number, last: number, max: number): number[] {
  if (last < minTrain) return [];
  const count = Math.min(max, last - minTrain + 1);
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    out.add(count === 1 ? last : Math.round(last - ((last - minTrain) * i) / (count - 1)));
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Rolling-origin evaluation on the series' own history: fit on values[0, o),
 * forecast `steps` ahead, compare with what happened. This is the number we
 * publish next to every forecast, since no vendor publishes theirs.
 */
export function backtest(
  values: readonly number[],
  stepMs: number,
  fit: (train: readonly number[]) => FitResult,
  options: BacktestOptions,
): BacktestResult | null {
  const n = values.length;
  const maxOrigins = options.maxOrigins ?? 5;
  const plans: { horizonDays: number; steps: number }[] = [];
  for (const d of options.horizonsDays ?? [1, 7, 30]) {
    const steps = Math.max(1, Math.round((d * TIME.DAY) / stepMs));
    if (options.minTrain + steps <= n && !plans.some((p) => p.steps === steps)) plans.push({ horizonDays: d, steps });
  }
  if (plans.length === 0) {
    // Short history: score the longest horizon that still leaves room to train.
    const steps = Math.floor((n - options.minTrain) / 2);
    if (steps < 1) return null;
    plans.push({ horizonDays: (steps * stepMs) / TIME.DAY, steps });
  }
  const fits = new Map<number, FitResult>();
  let declined = 0;
  const horizons: BacktestHorizon[] = [];
  for (const plan of plans) {
    let absSum = 0;
    let sqSum = 0;
    let apeSum = 0;
    let apeCount = 0;
    let sqRelSum = 0;
    let count = 0;
    for (const o of originsFor(options.minTrain, n - plan.steps, maxOrigins)) {
      let f = fits.get(o);
      if (!f) {
        f = fit(values.slice(0, o));
        fits.set(o, f);
        if (!f.ok) declined++;
      }
      if (!f.ok) continue;
      const actual = values[o - 1 + plan.steps]!;
      const err = actual - f.model.predict(plan.steps);
      if (!Number.isFinite(err)) continue;
      absSum += Math.abs(err);
      sqSum += err * err;
      count++;
      if (Math.abs(actual) > 1e-9) {
        apeSum += Math.abs(err / actual);
        sqRelSum += (err / actual) ** 2;
        apeCount++;
      }
    }
    if (count === 0) continue;
    horizons.push({
      horizonDays: plan.horizonDays,
      steps: plan.steps,
      mape: apeCount === count ? (100 * apeSum) / apeCount : null,
      mae: absSum / count,
      rmse: Math.sqrt(sqSum / count),
      rmsRelative: apeCount === count ? Math.sqrt(sqRelSum / count) : null,
      origins: count,
    });
  }
  if (horizons.length === 0) return null;
  return { horizons, declined };
}

/** One number per model for ranking: mean MAPE over the scored horizons, else MAE relative to the level. */
export function backtestScore(result: BacktestResult, level: number): number {
  const mapes = result.horizons.map((h) => h.mape);
  if (mapes.every((m) => m !== null)) return (mapes as number[]).reduce((a, b) => a + b, 0) / mapes.length;
  const scale = Math.max(Math.abs(level), 1e-9);
  return (100 * result.horizons.reduce((a, h) => a + h.mae, 0)) / result.horizons.length / scale;
}
