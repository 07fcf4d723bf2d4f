import { DbrsError, DEFAULT_STATE_SCHEMA, type Logger, type Metrics, PREVIOUS_STATE_SCHEMA } from '@voicehive/db-core';
import {
  type AlertThresholds,
  DEFAULT_ALERT_THRESHOLDS,
  DEFAULT_HYSTERESIS,
  type HysteresisOptions,
} from './alerts/types.js';
import type { ForecastOptions } from './forecast/forecast.js';
import { DEFAULT_RETENTION, type RetentionPolicy, type SampleStore } from './store/sample-store.js';

export type CapacityForecastSettings = Pick<
  ForecastOptions,
  | 'minSamples'
  | 'minSpanHours'
  | 'linearWindowDays'
  | 'minRSquared'
  | 'seasonalMinWeeks'
  | 'maxHorizonDays'
  | 'intervalLevel'
  | 'backtestHorizonsDays'
> & {
  /** History loaded for each forecast, days. Default 120. */
  historyDays?: number;
};

export interface DatabaseCapacityManagerOptions extends Partial<AlertThresholds> {
  /** Schema of the history table, created on the first write. Default `'dbrs'` (the suite's state schema). */
  schema?: string;
  /**
   * Where an older release kept the table; used, with a warning naming the move, while the table is only
   * there. Default `'public'` when `schema` is not given, else none.
   */
  previousSchema?: string;
  /** History table name. Default `'voicehive_capacity_samples'`. */
  table?: string;
  /** Create the history table when missing. Default true. A pg_monitor role cannot: see `sampleTableDdl()`. */
  createTable?: boolean;
  /** A custom history store (e.g. `new MemorySampleStore()`). Default: a PostgresSampleStore on `schema.table`. */
  store?: SampleStore;
  /** Samples older than this are deleted. Default 400. */
  retentionDays?: number;
  /** Raw samples kept this long, then hourly averages. Default 14. */
  rawRetentionDays?: number;
  /** Hourly averages kept this long, then daily averages. Default 90. */
  hourlyRetentionDays?: number;
  /** Run downsampling/retention at most this often (leader only), ms. Default 3,600,000. */
  maintenanceIntervalMs?: number;
  /** Storage quota for a managed database, bytes. Default: none (the data directory's filesystem when local). */
  storageLimitBytes?: number;
  /** Whether the server runs on this host (enables statfs and /proc). Default 'auto': loopback or Unix socket. */
  local?: boolean | 'auto';
  /** Largest tables and indexes listed (and tables forecast) individually. Default 10. */
  topN?: number;
  /** Hysteresis margins. Defaults: 5 percentage points, 20% of a days threshold, 5% of an xid threshold. */
  hysteresis?: Partial<HysteresisOptions>;
  /** Forecast tuning; every field has the default documented on ForecastOptions. */
  forecast?: CapacityForecastSettings;
  /** Advisory-lock name for the writer election. Default `voicehive-capacity:<schema>.<table>`. */
  leaderLockName?: string;
  /** `hold`: the first instance keeps leadership until it closes. `per-write`: try-lock around each write. Default 'hold'. */
  leadership?: 'hold' | 'per-write';
  logger?: Logger;
  metrics?: Metrics;
}

export interface ResolvedCapacityConfig {
  schema: string;
  previousSchema: string | undefined;
  table: string;
  createTable: boolean;
  retention: RetentionPolicy;
  maintenanceIntervalMs: number;
  storageLimitBytes: number | undefined;
  local: boolean | 'auto';
  topN: number;
  thresholds: AlertThresholds;
  hysteresis: HysteresisOptions;
  forecast: CapacityForecastSettings & { historyDays: number };
  leaderLockName: string;
  leadership: 'hold' | 'per-write';
}

function bad(key: string, value: unknown, expected: string): DbrsError {
  return new DbrsError(
    'CONFIG_INVALID',
    `Capacity option ${key} is ${JSON.stringify(value) ?? String(value)}; expected ${expected}.`,
    {
      hint: `Fix ${key} in the DatabaseCapacityManager config.`,
      details: { key },
    },
  );
}

function positive(
  key: string,
  value: unknown,
  fallback: number,
  opts: { integer?: boolean; allowZero?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (opts.allowZero ? value >= 0 : value > 0) &&
    (!opts.integer || Number.isInteger(value));
  if (!ok) throw bad(key, value, `a finite ${opts.integer ? 'whole ' : ''}number ${opts.allowZero ? '≥ 0' : '> 0'}`);
  return value as number;
}

/** Fills defaults and rejects impossible settings up front, naming the key. */
export function resolveCapacityConfig(c: DatabaseCapacityManagerOptions = {}): ResolvedCapacityConfig {
  const schema = c.schema ?? DEFAULT_STATE_SCHEMA;
  const previousSchema = c.previousSchema ?? (c.schema === undefined ? PREVIOUS_STATE_SCHEMA : undefined);
  const table = c.table ?? 'voicehive_capacity_samples';
  for (const [k, v] of [
    ['schema', schema],
    ['table', table],
  ] as const) {
    if (typeof v !== 'string' || v.length === 0 || v.length > 63)
      throw bad(k, v, 'an identifier of 1 to 63 characters');
  }
  const t: AlertThresholds = { ...DEFAULT_ALERT_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_ALERT_THRESHOLDS) as (keyof AlertThresholds)[]) {
    t[key] = positive(key, c[key], DEFAULT_ALERT_THRESHOLDS[key]);
  }
  for (const [w, cr] of [
    ['warningPercent', 'criticalPercent'],
    ['connectionsWarningPercent', 'connectionsCriticalPercent'],
    ['xidAgeWarning', 'xidAgeCritical'],
  ] as const) {
    if (t[w] > t[cr]) throw bad(w, t[w], `at most ${cr} (${t[cr]})`);
  }
  if (t.daysCritical > t.daysWarning)
    throw bad('daysCritical', t.daysCritical, `at most daysWarning (${t.daysWarning})`);
  const h = c.hysteresis ?? {};
  const hysteresis: HysteresisOptions = {
    percentPoints: positive('hysteresis.percentPoints', h.percentPoints, DEFAULT_HYSTERESIS.percentPoints, {
      allowZero: true,
    }),
    daysFraction: positive('hysteresis.daysFraction', h.daysFraction, DEFAULT_HYSTERESIS.daysFraction, {
      allowZero: true,
    }),
    xidFraction: positive('hysteresis.xidFraction', h.xidFraction, DEFAULT_HYSTERESIS.xidFraction, { allowZero: true }),
  };
  const retention: RetentionPolicy = {
    retentionDays: positive('retentionDays', c.retentionDays, DEFAULT_RETENTION.retentionDays),
    rawDays: positive('rawRetentionDays', c.rawRetentionDays, DEFAULT_RETENTION.rawDays),
    hourlyDays: positive('hourlyRetentionDays', c.hourlyRetentionDays, DEFAULT_RETENTION.hourlyDays),
  };
  if (retention.rawDays > retention.hourlyDays)
    throw bad('rawRetentionDays', retention.rawDays, 'at most hourlyRetentionDays');
  if (c.storageLimitBytes !== undefined) positive('storageLimitBytes', c.storageLimitBytes, 0);
  if (c.local !== undefined && c.local !== 'auto' && typeof c.local !== 'boolean')
    throw bad('local', c.local, "true, false or 'auto'");
  if (c.leadership !== undefined && c.leadership !== 'hold' && c.leadership !== 'per-write') {
    throw bad('leadership', c.leadership, "'hold' or 'per-write'");
  }
  const f = c.forecast ?? {};
  return {
    schema,
    previousSchema,
    table,
    createTable: c.createTable ?? true,
    retention,
    maintenanceIntervalMs: positive('maintenanceIntervalMs', c.maintenanceIntervalMs, 3_600_000),
    storageLimitBytes: c.storageLimitBytes,
    local: c.local ?? 'auto',
    topN: positive('topN', c.topN, 10, { integer: true }),
    thresholds: t,
    hysteresis,
    forecast: { ...f, historyDays: positive('forecast.historyDays', f.historyDays, 120) },
    leaderLockName: c.leaderLockName ?? `voicehive-capacity:${schema}.${table}`,
    leadership: c.leadership ?? 'hold',
  };
}
