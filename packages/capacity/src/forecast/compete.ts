import { type BacktestResult, backtest } from './backtest.js';
import type { Candidate } from './choose.js';
import { fitHolt } from './holt.js';
import { fitLinear } from './linear.js';
import { fitLogLinear } from './log-linear.js';
import { TIME } from './resample.js';
import { fitSeasonal } from './seasonal.js';
import type { FitResult, ModelName } from './types.js';

export interface CompeteOptions {
  stepMs: number;
  linearWindowDays: number;
  minRSquared: number;
  seasonalMinWeeks: number;
  backtestHorizonsDays?: readonly number[];
}

export interface ModelReport {
  model: ModelName;
  ok: boolean;
  reason?: string;
  /** Mean backtested MAPE over the scored horizons, %. */
  backtestMape?: number | null;
  /** The model's own rolling-origin backtest (per horizon), so a reader sees why the winner won. */
  backtest?: BacktestResult | null;
}

function fitter(name: ModelName, o: CompeteOptions): (values: readonly number[]) => FitResult {
  const windowSteps = Math.round((o.linearWindowDays * TIME.DAY) / o.stepMs);
  switch (name) {
    case 'linear':
      return (v) => fitLinear(v, { windowSteps, minRSquared: o.minRSquared });
    case 'log_linear':
      return (v) => fitLogLinear(v, { windowSteps, minRSquared: o.minRSquared });
    case 'holt_damped':
      return (v) => fitHolt(v);
    case 'holt_winters':
      return (v) => fitSeasonal(v, (7 * TIME.DAY) / o.stepMs, { minSeasons: o.seasonalMinWeeks });
  }
}

function mean(xs: readonly (number | null)[]): number | null {
  const ok = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return ok.length > 0 && ok.length === xs.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

/**
 * Fits every allowed model to the current regime and backtests each on it
 * with rolling origins. The regime starts after the last change point, so
 * no training window straddles a change the models were never meant to
 * explain.
 */
export function compete(values: readonly number[], models: readonly ModelName[], o: CompeteOptions) {
  const stepsPerDay = TIME.DAY / o.stepMs;
  const minTrain = Math.max(5, Math.ceil(values.length / 3));
  const candidates: Candidate[] = [];
  for (const name of models) {
    const fit = fitter(name, o);
    const final = fit(values);
    // Seasonal models need two seasons in every training prefix, not just in the whole series.
    const train =
      name === 'holt_winters' ? Math.max(minTrain, Math.ceil((o.seasonalMinWeeks * 7 + 0.5) * stepsPerDay)) : minTrain;
    const bt = final.ok
      ? backtest(values, o.stepMs, fit, { horizonsDays: o.backtestHorizonsDays, minTrain: train })
      : null;
    candidates.push({ name, fit: final, backtest: bt });
  }
  const reports: ModelReport[] = candidates.map((c) => ({
    model: c.name,
    ok: c.fit.ok,
    ...(c.fit.ok ? {} : { reason: c.fit.reason }),
    ...(c.fit.ok
      ? { backtest: c.backtest, backtestMape: c.backtest ? mean(c.backtest.horizons.map((h) => h.mape)) : null }
      : {}),
  }));
  return { candidates, reports };
}
