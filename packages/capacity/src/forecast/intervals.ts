import { probit } from 'simple-statistics';
import type { BacktestResult } from './backtest.js';
import type { FittedModel } from './types.js';

/** z for a two-sided interval at `level` (0.95 → 1.96). */
export function zFor(level: number): number {
  const l = Number.isFinite(level) && level > 0 && level < 1 ? level : 0.95;
  return probit(0.5 + l / 2);
}

/**
 * Forecast standard error at `h` steps: the model's own (residual-based, grows
 * with h) or what the backtest actually saw, whichever is larger. A model that fits its past too well
 * does not get to claim a narrow band it never earned. For a log-scale model
 * the result is on the log scale, where a relative error is (to first order)
 * an absolute one.
 */
export function standardErrorFn(model: FittedModel, backtest: BacktestResult | null): (h: number) => number {
  // Errors are carried as a share of the value forecast (a growing series makes bigger absolute
  // misses). A running max over the scored horizons keeps the band monotone in h.
  const knots: { steps: number; rel: number; abs: number }[] = [];
  for (const s of [...(backtest?.horizons ?? [])].sort((a, b) => a.steps - b.steps)) {
    const prev = knots[knots.length - 1];
    knots.push({
      steps: s.steps,
      rel: Math.max(prev?.rel ?? 0, s.rmsRelative ?? 0),
      abs: Math.max(prev?.abs ?? 0, s.rmse),
    });
  }
  return (h: number) => {
    const own = model.standardError(h);
    let empirical = 0;
    if (knots.length > 0) {
      const scale = Math.abs(model.predict(h));
      const at =
        model.scale === 'log'
          ? (k: { rel: number; abs: number }) => Math.max(k.rel, scale > 0 ? k.abs / scale : 0)
          : (k: { rel: number; abs: number }) => Math.max(k.abs, k.rel * scale);
      const last = knots[knots.length - 1]!;
      if (h <= knots[0]!.steps) empirical = at(knots[0]!);
      else if (h >= last.steps) {
        // Beyond the longest scored horizon: noise does not grow but a wrong trend does; √h sits between.
        empirical = at(last) * Math.sqrt(h / last.steps);
      } else {
        const i = knots.findIndex((k) => k.steps >= h);
        const a = knots[i - 1]!;
        const b = knots[i]!;
        const w = (h - a.steps) / (b.steps - a.steps);
        empirical = at(a) * (1 - w) + at(b) * w;
      }
    }
    const se = Math.max(own, empirical);
    return Number.isFinite(se) ? se : 0;
  };
}

/** Lower and upper bound `h` steps ahead, on the model's scale and transformed back. */
export function boundsFn(
  model: FittedModel,
  se: (h: number) => number,
  z: number,
): (h: number) => { lower: number; upper: number } {
  if (model.scale === 'log') {
    return (h) => {
      const p = model.predict(h);
      const k = Math.exp(Math.min(700, z * se(h)));
      return { lower: p / k, upper: p * k };
    };
  }
  return (h) => {
    const p = model.predict(h);
    return { lower: p - z * se(h), upper: p + z * se(h) };
  };
}

export interface PredictionInterval {
  horizonDays: number;
  level: number;
  point: number;
  lower: number;
  upper: number;
}
