import { type BacktestResult, backtestScore } from './backtest.js';
import type { FitResult, FittedModel, ModelName } from './types.js';

export interface Candidate {
  name: ModelName;
  fit: FitResult;
  backtest: BacktestResult | null;
}

export interface Choice {
  model: FittedModel;
  backtest: BacktestResult | null;
  /** Why this model won, for the report. */
  why: string;
}

const ORDER: ModelName[] = ['linear', 'log_linear', 'holt_damped', 'holt_winters'];

/**
 * The model with the lowest backtested error wins; simpler models win ties
 * and win outright when nothing could be backtested (too little history).
 */
export function chooseModel(candidates: readonly Candidate[], level: number): Choice | null {
  const usable = candidates
    .filter((c): c is Candidate & { fit: { ok: true; model: FittedModel } } => c.fit.ok)
    .sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
  if (usable.length === 0) return null;
  const scored = usable.filter((c) => c.backtest !== null);
  if (scored.length === 0) {
    const first = usable[0]!;
    return { model: first.fit.model, backtest: null, why: 'too little history to backtest; simplest model that fits' };
  }
  let best = scored[0]!;
  let bestScore = backtestScore(best.backtest!, level);
  for (const c of scored.slice(1)) {
    const s = backtestScore(c.backtest!, level);
    if (s < bestScore - 1e-9) {
      best = c;
      bestScore = s;
    }
  }
  return { model: best.fit.model, backtest: best.backtest, why: `lowest backtested error (${bestScore.toFixed(2)}%)` };
}
