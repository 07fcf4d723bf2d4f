import { type ChangeKind, type ChangePointOptions, detectChanges } from './changepoints.js';
import { removeSeason } from './deseasonalize.js';
import { type OutlierOptions, replaceOutliers } from './outliers.js';
import { currentRegime } from './regime.js';
import { resample, TIME } from './resample.js';
import type { Point, RegularSeries } from './types.js';

/** A change in the history: where the new regime starts, and how big the change was. */
export interface ChangePoint {
  /** Start of the grid step where the new regime begins, ISO 8601. */
  at: string;
  kind: ChangeKind;
  /** Level: the jump, in the series' units (negative for a drop). Trend: the change of growth, units per day. */
  size: number;
}

export interface PrepareOptions {
  maxPoints: number;
  /** false: no outlier replacement. */
  outliers?: OutlierOptions | false;
  /** false: no change-point detection (the whole history is one regime). */
  changePoints?: ChangePointOptions | false;
}

export interface Prepared {
  series: RegularSeries;
  /** What the models are fitted to (the current regime, level shifts removed). */
  fitValues: number[];
  /** Epoch ms of `fitValues[0]`. */
  fittedFrom: number;
  outliers: number;
  changePoints: ChangePoint[];
  /** Why change detection did not run, when it did not. */
  changePointsReason?: string;
}

/**
 * Grid → outliers out → change points → the regime to fit. Each step is its
 * own module; this only wires them and converts grid indices back to time.
 */
export function prepareSeries(points: readonly Point[], o: PrepareOptions): Prepared {
  const series = resample(points, { maxPoints: o.maxPoints });
  const stepsPerDay = TIME.DAY / series.stepMs;
  const cleaned =
    o.outliers === false
      ? { values: series.values, indices: [] }
      : replaceOutliers(series.values, { halfWindow: Math.max(2, Math.round(stepsPerDay / 2)), ...o.outliers });
  const at = (i: number) => new Date(series.start + i * series.stepMs).toISOString();
  if (o.changePoints === false) {
    return {
      series,
      fitValues: cleaned.values,
      fittedFrom: series.start,
      outliers: cleaned.indices.length,
      changePoints: [],
      changePointsReason: 'change detection is turned off',
    };
  }
  const detected = detectChanges(removeSeason(cleaned.values, Math.round(7 * stepsPerDay)), {
    minSegment: Math.max(4, Math.round(stepsPerDay)),
    ...o.changePoints,
  });
  const changes = detected.ok ? detected.changes : [];
  const regime = currentRegime(cleaned.values, changes);
  return {
    series,
    fitValues: regime.values,
    fittedFrom: series.start + regime.offset * series.stepMs,
    outliers: cleaned.indices.length,
    changePoints: changes.map((c) => ({
      at: at(c.index - (c.transition ? 1 : 0)),
      kind: c.kind,
      size: c.kind === 'level' ? c.size : c.size * stepsPerDay,
    })),
    ...(detected.ok ? {} : { changePointsReason: detected.reason }),
  };
}
