// Public surface of @voicehive/db-capacity. Nothing else is API.

export type { AlertInputs } from './alerts/evaluate.js';
export { evaluateAlerts } from './alerts/evaluate.js';
export { AlertState } from './alerts/hysteresis.js';
export type { AlertThresholds, AlertType, CapacityAlert, HysteresisOptions } from './alerts/types.js';
export { DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS } from './alerts/types.js';
export { indexSeries, SERIES, snapshotToSamples, tableSeries } from './collect/flatten.js';
export { readIndexSizes } from './collect/sizes.js';
export { isLocalHost } from './collect/storage.js';
export type { CapacitySnapshot, HostReading, IndexSize, RelationSize, StorageReading } from './collect/types.js';
export type { CapacityForecastSettings, DatabaseCapacityManagerOptions, ResolvedCapacityConfig } from './config.js';
export { resolveCapacityConfig } from './config.js';
export type { BacktestHorizon, BacktestResult } from './forecast/backtest.js';
export { backtest } from './forecast/backtest.js';
export type { CleanOptions, CleanResult, DropReason } from './forecast/clean.js';
export { cleanSeries } from './forecast/clean.js';
export type {
  ChangePoint,
  DaysUntil,
  ForecastOptions,
  ForecastStatus,
  ModelReport,
  SeriesForecast,
  ThresholdForecast,
} from './forecast/forecast.js';
export { forecastSeries } from './forecast/forecast.js';
export type { PredictionInterval } from './forecast/intervals.js';
export { fitLinear } from './forecast/linear.js';
export { resample } from './forecast/resample.js';
export { fitSeasonal } from './forecast/seasonal.js';
export type { FitResult, FittedModel, ModelName, Point, RawPoint, RegularSeries } from './forecast/types.js';
export type { CollectResult, GetForecastsOptions } from './manager.js';
export { DatabaseCapacityManager, XID_WRAPAROUND_LIMIT } from './manager.js';
export { CapacityMetrics } from './metrics.js';
export { MemorySampleStore } from './store/memory-store.js';
export type { PostgresSampleStoreOptions } from './store/postgres-store.js';
export { PostgresSampleStore, sampleTableDdl } from './store/postgres-store.js';
export type {
  MaintenanceResult,
  RetentionPolicy,
  SampleQuery,
  SampleStore,
  StoreCallOptions,
  StoredSample,
} from './store/sample-store.js';
export { DEFAULT_RETENTION } from './store/sample-store.js';
export type {
  CapacityDashboardData,
  CapacityForecast,
  CapacityResource,
  CapacityTrend,
  TableOutlook,
} from './types.js';
