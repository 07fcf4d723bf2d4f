import { type BacktestResult, backtest } from './backtest.js';
import { type Candidate, chooseModel } from './choose.js';
import { type CleanOptions, cleanSeries, type DropReason, toFiniteNumber } from './clean.js';
import { fitHolt } from './holt.js';
import { type PredictionInterval, standardErrorFn, zFor } from './intervals.js';
import { fitLinear } from './linear.js';
import { resample, TIME } from './resample.js';
import { fitSeasonal } from './seasonal.js';
import type { FitResult, FittedModel, ModelName, Point, RawPoint } from './types.js';

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
  /** Models allowed to compete. Default all three. */
  models?: readonly ModelName[];
  /** Grid size cap; long histories are averaged into coarser steps. Default 500. */
  maxPoints?: number;
  /** Extra cleaning rules (non-negative values, maximum age). */
  clean?: Omit<CleanOptions, 'now'>;
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

export interface ModelReport {
  model: ModelName;
  ok: boolean;
  reason?: string;
  /** Mean backtested MAPE over the scored horizons, %. */
  backtestMape?: number | null;
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
  models: ModelReport[];
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
  };
}

const ALL_MODELS: ModelName[] = ['linear', 'holt_damped', 'holt_winters'];

function num(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function fitter(
  name: ModelName,
  stepMs: number,
  o: Required<Pick<ForecastOptions, 'linearWindowDays' | 'minRSquared' | 'seasonalMinWeeks'>>,
) {
  const seasonSteps = (7 * TIME.DAY) / stepMs;
  return (values: readonly number[]): FitResult => {
    if (name === 'linear') {
      return fitLinear(values, {
        windowSteps: Math.round((o.linearWindowDays * TIME.DAY) / stepMs),
        minRSquared: o.minRSquared,
      });
    }
    if (name === 'holt_damped') return fitHolt(values);
    return fitSeasonal(values, seasonSteps, { minSeasons: o.seasonalMinWeeks });
  };
}

/**
 * Slope t-statistic of a least-squares line through the trailing window. Even
 * a flat series has a non-zero fitted trend; without this test the widening
 * upper bound would eventually "reach" any limit.
 */
function trendTStat(values: readonly number[]): number {
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

function horizonGrid(maxSteps: number): number[] {
  const count = Math.min(maxSteps, 4000);
  const out: number[] = [];
  for (let i = 1; i <= count; i++) out.push(Math.max(1, Math.round((i * maxSteps) / count)));
  return out;
}

function firstCrossing(
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

function emptyResult(status: ForecastStatus, reason: string, base: Partial<SeriesForecast>): SeriesForecast {
  return {
    status,
    reason,
    current: null,
    limit: null,
    usagePercent: null,
    growthPerDay: null,
    model: null,
    models: [],
    rSquared: null,
    backtest: null,
    daysUntilLimit: { expected: null, pessimistic: null, reason },
    thresholds: [],
    interval: null,
    samples: { used: 0, dropped: {}, reordered: false, stepMs: 0, spanDays: 0 },
    ...base,
  };
}

/** Cleans, resamples, fits every allowed model, backtests, picks the best and projects it onto the limit. */
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
  const thresholdsPercent = (options.thresholdsPercent ?? [80, 90]).filter((p) => Number.isFinite(p) && p > 0);
  const samplesBase = {
    used: points.length,
    dropped: cleaned.dropped,
    reordered: cleaned.reordered,
    stepMs: 0,
    spanDays,
  };
  const base = { current, limit, usagePercent, samples: samplesBase };

  const minSamples = options.minSamples ?? 10;
  const minSpanHours = options.minSpanHours ?? 24;
  if (points.length < minSamples) {
    return emptyResult('insufficient_data', `needs at least ${minSamples} valid samples, has ${points.length}`, base);
  }
  if (spanDays * 24 < minSpanHours) {
    return emptyResult(
      'insufficient_data',
      `history spans ${(spanDays * 24).toFixed(1)} h; needs at least ${minSpanHours} h`,
      base,
    );
  }

  const series = resample(points, { maxPoints: options.maxPoints ?? 500 });
  const { values, stepMs } = series;
  samplesBase.stepMs = stepMs;
  const stepsPerDay = TIME.DAY / stepMs;
  const fitOpts = {
    linearWindowDays: options.linearWindowDays ?? 30,
    minRSquared: options.minRSquared ?? 0.7,
    seasonalMinWeeks: options.seasonalMinWeeks ?? 2,
  };
  const minTrain = Math.max(5, Math.ceil(values.length / 3));
  const candidates: Candidate[] = [];
  for (const name of options.models ?? ALL_MODELS) {
    const fit = fitter(name, stepMs, fitOpts);
    const final = fit(values);
    // Seasonal models need two seasons in every training prefix, not just in the whole series.
    const train =
      name === 'holt_winters'
        ? Math.max(minTrain, Math.ceil((fitOpts.seasonalMinWeeks * 7 + 0.5) * stepsPerDay))
        : minTrain;
    const bt = final.ok
      ? backtest(values, stepMs, fit, { horizonsDays: options.backtestHorizonsDays, minTrain: train })
      : null;
    candidates.push({ name, fit: final, backtest: bt });
  }
  const level = values[values.length - 1]!;
  const models: ModelReport[] = candidates.map((c) => ({
    model: c.name,
    ok: c.fit.ok,
    ...(c.fit.ok ? {} : { reason: c.fit.reason }),
    ...(c.backtest ? { backtestMape: num(mean(c.backtest.horizons.map((h) => h.mape))) } : {}),
  }));
  const linear = candidates.find((c) => c.name === 'linear');
  const rSquared = linear?.fit.ok ? num(linear.fit.model.rSquared) : null;
  const choice = chooseModel(candidates, level);
  if (!choice) {
    const reasons = candidates.map((c) => (c.fit.ok ? '' : `${c.name}: ${c.fit.reason}`)).filter(Boolean);
    return emptyResult('no_model', `no model could be fitted (${reasons.join('; ')})`, { ...base, models });
  }
  const model: FittedModel = choice.model;
  const z = zFor(options.intervalLevel ?? 0.95);
  const se = standardErrorFn(model, choice.backtest);
  const growthPerDay = num(model.trendPerStep * stepsPerDay) ?? 0;
  const intervalSteps = Math.max(1, Math.round((options.intervalHorizonDays ?? 30) * stepsPerDay));
  const point = model.predict(intervalSteps);
  const interval: PredictionInterval = {
    horizonDays: (intervalSteps * stepMs) / TIME.DAY,
    level: options.intervalLevel ?? 0.95,
    point,
    lower: point - z * se(intervalSteps),
    upper: point + z * se(intervalSteps),
  };

  const tStat = trendTStat(values.slice(-Math.max(3, Math.round(fitOpts.linearWindowDays * stepsPerDay))));
  const growing = tStat >= 3 && growthPerDay > 0;
  const maxSteps = Math.max(1, Math.round((options.maxHorizonDays ?? 730) * stepsPerDay));
  const grid = horizonGrid(maxSteps);
  const cur = current!;
  const until = (target: number): DaysUntil => {
    if (cur >= target) return { expected: 0, pessimistic: 0 };
    if (!growing) {
      return {
        expected: null,
        pessimistic: null,
        reason: growthPerDay <= 0 || tStat <= -3 ? 'not growing' : 'no significant growth',
      };
    }
    const expected = firstCrossing((h) => model.predict(h), cur, target, grid, stepMs);
    const pessimistic = firstCrossing((h) => model.predict(h) + z * se(h), cur, target, grid, stepMs);
    return {
      expected,
      pessimistic,
      ...(expected === null
        ? { reason: `not reached within ${options.maxHorizonDays ?? 730} days by the point forecast` }
        : {}),
    };
  };
  const daysUntilLimit: DaysUntil =
    limit === null ? { expected: null, pessimistic: null, reason: 'limit unknown' } : until(limit);
  const thresholds: ThresholdForecast[] =
    limit === null
      ? []
      : thresholdsPercent.map((p) => ({ percent: p, value: (limit * p) / 100, ...until((limit * p) / 100) }));
  const result: SeriesForecast = {
    status: growing ? 'ok' : 'no_growth',
    ...(growing ? {} : { reason: tStat <= -3 || growthPerDay <= 0 ? 'not growing' : 'no significant growth' }),
    current,
    limit,
    usagePercent,
    growthPerDay,
    model: model.name,
    modelReason: choice.why,
    models,
    rSquared,
    backtest: choice.backtest,
    daysUntilLimit,
    thresholds,
    interval,
    samples: samplesBase,
  };
  return sanitize(result);
}

function mean(xs: readonly (number | null)[]): number | null {
  const ok = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return ok.length > 0 && ok.length === xs.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

/** Last line of defence: a non-finite number anywhere becomes null, so NaN can never reach a dashboard or a gauge. */
export function sanitize<T>(value: T): T {
  if (typeof value === 'number') return (Number.isFinite(value) ? value : null) as T;
  if (Array.isArray(value)) return value.map((v) => sanitize(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sanitize(v);
    return out as T;
  }
  return value;
}
