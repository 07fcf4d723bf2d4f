/** One observation: epoch milliseconds and a value. */
export interface Point {
  t: number;
  v: number;
}

/** Anything a caller might hand us as a sample; cleaned by `cleanSeries`. */
export interface RawPoint {
  t: unknown;
  v: unknown;
}

/** A series on a regular grid, the shape every model fits. */
export interface RegularSeries {
  /** Epoch ms of `values[0]`. */
  start: number;
  stepMs: number;
  values: number[];
  /** How many grid points were interpolated because no sample fell in them. */
  interpolated: number;
}

export type ModelName = 'linear' | 'log_linear' | 'holt_damped' | 'holt_winters';

/** A fitted model, positioned at the last observation. `h` is in grid steps, h ≥ 1. */
export interface FittedModel {
  name: ModelName;
  /**
   * `log`: the model works on ln(value); `standardError` is then on the log
   * scale and intervals are exp(ln ŷ ± z·se). Default additive.
   */
  scale?: 'additive' | 'log';
  /** Point forecast `h` steps past the last observation. */
  predict(h: number): number;
  /** Standard error of the forecast `h` steps ahead, from the model's own residuals. */
  standardError(h: number): number;
  /** Current trend, in value units per step. */
  trendPerStep: number;
  /** Linear model only: R² of the fit. */
  rSquared?: number;
  /** Fitted parameters, for reports. */
  params: Record<string, number>;
}

export type FitResult = { ok: true; model: FittedModel } | { ok: false; name: ModelName; reason: string };
