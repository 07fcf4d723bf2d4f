import type { BacktestResult } from './backtest.js';
import type { ChangePointOptions } from './changepoints.js';
import { type Choice, chooseModel } from './choose.js';
import { type CleanOptions, cleanSeries, type DropReason, toFiniteNumber } from './clean.js';
import { compete, type ModelReport } from './compete.js';
import { boundsFn, type PredictionInterval, standardErrorFn, zFor } from './intervals.js';
import type { OutlierOptions } from './outliers.js';
import { type ChangePoint, type Prepared, prepareSeries } from './prepare.js';
import { firstCrossing, horizonGrid, trendTStat } from './project.js';
import { TIME } from './resample.js';
import { sanitize } from './sanitize.js';
import type { ModelName, Point, RawPoint } from './types.js';

export type { ModelReport } from './compete.js';
export type { ChangePoint } from './prepare.js';
export { sanitize } from './sanitize.js';

export interface ForecastOptions {
  /** The capacity the series runs into, in the series' units. null/undefined/≤0: unknown (growth only). */
  limit?: number | null;
  /** Percentages of `limit` to report days-until for. Default [80, 90]. */
  thresholdsPercent?: readonly number[];
  /** Reference time, epoch ms. Default `Date.now()`. */
  now?: number;
  /** Fewest samples (after cleaning) before forecasting. Default 10. */
  minSamples?: number;
  /** Shortest history before forecasting, in hours. Default 24. */
  minSpanHours?: number;
  /** The linear model fits only this trailing window, in days. Default 30. */
  linearWindowDays?: number;
  /** The linear model declines below this R². Default 0.7. */
  minRSquared?: number;
  /** Weeks of history before weekly seasonality is tried. Default 2. */
  seasonalMinWeeks?: number;
  /** Horizons scored by the backtest, in days. Default [1, 7, 30]. */
  backtestHorizonsDays?: readonly number[];
  /** Days-until values beyond this are reported as null ("beyond horizon"). Default 730. */
  maxHorizonDays?: number;
  /** Prediction-interval level. Default 0.95. */
  intervalLevel?: number;
  /** Horizon for the reported interval, in days. Default 30. */
  intervalHorizonDays?: number;
  /** Models allowed to compete. Default all four. */
  models?: readonly ModelName[];
  /** Grid size cap; long histories are averaged into coarser steps. Default 500. */
  maxPoints?: number;
  /** Extra cleaning rules (non-negative values, maximum age). */
  clean?: Omit<CleanOptions, 'now'>;
  /** Change-point search tuning; false turns it off (one regime). */
  changePoints?: ChangePointOptions | false;
  /** Outlier (Hampel) filter tuning; false turns it off. */
  outliers?: OutlierOptions | false;
}

export type ForecastStatus = 'ok' | 'no_growth' | 'insufficient_data' | 'no_model';

export interface DaysUntil {
  /** Days until the point forecast reaches the target; null when it does not within the horizon. */
  expected: number | null;
  /** Days until the upper prediction bound reaches it (what alerts use). */
  pessimistic: number | null;
  reason?: string;
}

export interface ThresholdForecast extends DaysUntil {
  percent: number;
  value: number;
}

export interface SeriesForecast {
  status: ForecastStatus;
  /** Why there is no forecast, or why days-until are null. */
  reason?: string;
  current: number | null;
  limit: number | null;
  usagePercent: number | null;
  /** Current trend of the chosen model, units per day. */
  growthPerDay: number | null;
  model: ModelName | null;
  modelReason?: string;
  /** Every model that competed, with its own backtest (or why it could not fit). */
  models: ModelReport[];
  /** Level shifts and trend changes found in the history, oldest first. Models fit only the regime after the last one. */
  changePoints: ChangePoint[];
  /** Why change detection did not run (too few points), when it did not. */
  changePointsReason?: string;
  /** Start of the history the models were fitted to (after the last trend change), ISO 8601. */
  fittedFrom: string | null;
  rSquared: number | null;
  backtest: BacktestResult | null;
  daysUntilLimit: DaysUntil;
  thresholds: ThresholdForecast[];
  interval: PredictionInterval | null;
  samples: {
    used: number;
    dropped: Partial<Record<DropReason, number>>;
    reordered: boolean;
    stepMs: number;
    spanDays: number;
    /** Grid points replaced as outliers (spikes that returned). */
    outliers: number;
  };
}

const ALL_MODELS: ModelName[] = ['linear', 'log_linear', 'holt_damped', 'holt_winters'];

function num(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

type Samples = SeriesForecast['samples'];

function emptyResult(status: ForecastStatus, reason: string, base: Partial<SeriesForecast>): SeriesForecast {
  return sanitize({
    status,
    reason,
    current: null,
    limit: null,
    usagePercent: null,
    growthPerDay: null,
    model: null,
    models: [],
    changePoints: [],
    fittedFrom: null,
    rSquared: null,
    backtest: null,
    daysUntilLimit: { expected: null, pessimistic: null, reason },
    thresholds: [],
    interval: null,
    samples: { used: 0, dropped: {}, reordered: false, stepMs: 0, spanDays: 0, outliers: 0 },
    ...base,
  });
}

/** Cleans, resamples, removes outliers, finds change points, fits every allowed model to the current regime, backtests, picks the best and projects it onto the limit. */
export function forecastSeries(
  raw: readonly RawPoint[] | readonly Point[],
  options: ForecastOptions = {},
): SeriesForecast {
  const now = toFiniteNumber(options.now) ?? Date.now();
  const cleaned = cleanSeries(raw, { ...options.clean, now });
  const points = cleaned.points;
  const limitRaw = toFiniteNumber(options.limit);
  const limit = limitRaw !== undefined && limitRaw > 0 ? limitRaw : null;
  const current = points.length ? points[points.length - 1]!.v : null;
  const usagePercent = current !== null && limit !== null ? num((100 * current) / limit) : null;
  const spanDays = points.length > 1 ? (points[points.length - 1]!.t - points[0]!.t) / TIME.DAY : 0;
  const samples: Samples = {
    used: points.length,
    dropped: cleaned.dropped,
    reordered: cleaned.reordered,
    stepMs: 0,
    spanDays,
    outliers: 0,
  };
  const base = { current, limit, usagePercent, samples };
  const minSamples = options.minSamples ?? 10;
  const minSpanHours = options.minSpanHours ?? 24;
  // Both requirements in one sentence: naming only the first unmet one sent people back a second time (issue #16 §5).
  if (points.length < minSamples || spanDays * 24 < minSpanHours) {
    const have = (spanDays * 24).toFixed(1);
    return emptyResult(
      'insufficient_data',
      `needs at least ${minSamples} valid samples spanning ${minSpanHours} h; has ${points.length} over ${have} h`,
      base,
    );
  }
  const prep = prepareSeries(points, {
    maxPoints: options.maxPoints ?? 500,
    outliers: options.outliers,
    changePoints: options.changePoints,
  });
  samples.stepMs = prep.series.stepMs;
  samples.outliers = prep.outliers;
  const changes = {
    changePoints: prep.changePoints,
    ...(prep.changePointsReason ? { changePointsReason: prep.changePointsReason } : {}),
    fittedFrom: new Date(prep.fittedFrom).toISOString(),
  };
  const linearWindowDays = options.linearWindowDays ?? 30;
  const { candidates, reports } = compete(prep.fitValues, options.models ?? ALL_MODELS, {
    stepMs: prep.series.stepMs,
    linearWindowDays,
    minRSquared: options.minRSquared ?? 0.7,
    seasonalMinWeeks: options.seasonalMinWeeks ?? 2,
    backtestHorizonsDays: options.backtestHorizonsDays,
  });
  const linear = candidates.find((c) => c.name === 'linear');
  const rSquared = linear?.fit.ok ? num(linear.fit.model.rSquared) : null;
  const choice = chooseModel(candidates, prep.fitValues[prep.fitValues.length - 1]!);
  if (!choice) {
    const reasons = candidates.map((c) => (c.fit.ok ? '' : `${c.name}: ${c.fit.reason}`)).filter(Boolean);
    const why = `no model could be fitted (${reasons.join('; ')})`;
    return emptyResult('no_model', why, { ...base, models: reports, ...changes });
  }
  const projected = project(choice, prep, { options, current: current!, limit, linearWindowDays });
  return sanitize({
    ...projected,
    current,
    limit,
    usagePercent,
    model: choice.model.name,
    modelReason: choice.why,
    models: reports,
    ...changes,
    rSquared,
    backtest: choice.backtest,
    samples,
  });
}

interface ProjectInput {
  options: ForecastOptions;
  current: number;
  limit: number | null;
  linearWindowDays: number;
}

/** The chosen model's interval, growth, and days until the limit and each threshold (point and pessimistic bound). */
function project(choice: Choice, prep: Prepared, input: ProjectInput) {
  const { options, current: cur, limit } = input;
  const { model } = choice;
  const stepMs = prep.series.stepMs;
  const stepsPerDay = TIME.DAY / stepMs;
  const level = options.intervalLevel ?? 0.95;
  const bounds = boundsFn(model, standardErrorFn(model, choice.backtest), zFor(level));
  const growthPerDay = num(model.trendPerStep * stepsPerDay) ?? 0;
  const intervalSteps = Math.max(1, Math.round((options.intervalHorizonDays ?? 30) * stepsPerDay));
  const interval: PredictionInterval = {
    horizonDays: (intervalSteps * stepMs) / TIME.DAY,
    level,
    point: model.predict(intervalSteps),
    ...bounds(intervalSteps),
  };
  const tStat = trendTStat(prep.fitValues.slice(-Math.max(3, Math.round(input.linearWindowDays * stepsPerDay))));
  const growing = tStat >= 3 && growthPerDay > 0;
  const notGrowing = growthPerDay <= 0 || tStat <= -3 ? 'not growing' : 'no significant growth';
  const maxHorizonDays = options.maxHorizonDays ?? 730;
  const grid = horizonGrid(Math.max(1, Math.round(maxHorizonDays * stepsPerDay)));
  const until = (target: number): DaysUntil => {
    if (cur >= target) return { expected: 0, pessimistic: 0 };
    if (!growing) return { expected: null, pessimistic: null, reason: notGrowing };
    const expected = firstCrossing((h) => model.predict(h), cur, target, grid, stepMs);
    const pessimistic = firstCrossing((h) => bounds(h).upper, cur, target, grid, stepMs);
    const reason = `not reached within ${maxHorizonDays} days by the point forecast`;
    return { expected, pessimistic, ...(expected === null ? { reason } : {}) };
  };
  const thresholdsPercent = (options.thresholdsPercent ?? [80, 90]).filter((p) => Number.isFinite(p) && p > 0);
  return {
    status: (growing ? 'ok' : 'no_growth') as ForecastStatus,
    ...(growing ? {} : { reason: notGrowing }),
    growthPerDay,
    interval,
    daysUntilLimit: limit === null ? { expected: null, pessimistic: null, reason: 'limit unknown' } : until(limit),
    thresholds:
      limit === null
        ? []
        : thresholdsPercent.map((p) => ({ percent: p, value: (limit * p) / 100, ...until((limit * p) / 100) })),
  };
}
