import type { Metrics } from '@voicehive/db-core';
import type { CapacityAlert } from './alerts/types.js';
import type { CapacitySnapshot } from './collect/types.js';
import type { CapacityForecast } from './types.js';

type Gauge = ReturnType<Metrics['gauge']>;

const MB = 1024 * 1024;

function setFinite(g: Gauge, labels: Record<string, string>, v: number | null | undefined): void {
  if (typeof v === 'number' && Number.isFinite(v)) g.set(labels, v);
  else g.remove(labels);
}

/**
 * The capacity gauges. The first three keep the original system's names
 * (`db_capacity_usage_percent`, `db_growth_rate_mb_per_day`,
 * `db_capacity_forecast_days`, labelled by resource) so existing dashboards
 * keep working; a gauge with no finite value is removed, never set to NaN.
 */
export class CapacityMetrics {
  readonly #usage: Gauge;
  readonly #growth: Gauge;
  readonly #days: Gauge;
  readonly #mape: Gauge;
  readonly #current: Gauge;
  readonly #limit: Gauge;
  readonly #table: Gauge;
  readonly #walRate: Gauge;
  readonly #cacheHit: Gauge;
  readonly #host: Gauge;
  readonly #alerts: Gauge;
  readonly #written: ReturnType<Metrics['counter']>;
  readonly #duration: ReturnType<Metrics['histogram']>;
  #tableLabels: Record<string, string>[] = [];

  constructor(m: Metrics) {
    this.#usage = m.gauge({
      name: 'db_capacity_usage_percent',
      help: 'Resource usage as a percentage of its limit.',
      labelNames: ['resource'],
    });
    this.#growth = m.gauge({
      name: 'db_growth_rate_mb_per_day',
      help: 'Forecast growth rate in MiB per day (units per day for counts).',
      labelNames: ['resource'],
    });
    this.#days = m.gauge({
      name: 'db_capacity_forecast_days',
      help: 'Days until the resource reaches its limit; bound=pessimistic uses the upper prediction bound.',
      labelNames: ['resource', 'bound'],
    });
    this.#mape = m.gauge({
      name: 'db_capacity_forecast_backtest_mape_percent',
      help: 'Backtested MAPE of the chosen forecast model.',
      labelNames: ['resource'],
    });
    this.#current = m.gauge({
      name: 'db_capacity_current_value',
      help: 'Latest reading per resource (bytes, connections or transaction ids).',
      labelNames: ['resource'],
    });
    this.#limit = m.gauge({
      name: 'db_capacity_limit_value',
      help: 'Limit per resource, in the same unit as db_capacity_current_value.',
      labelNames: ['resource'],
    });
    this.#table = m.gauge({
      name: 'db_capacity_table_size_bytes',
      help: 'Total size (heap, indexes, TOAST) of the largest tables.',
      labelNames: ['schema', 'table'],
    });
    this.#walRate = m.gauge({
      name: 'db_capacity_wal_bytes_per_second',
      help: 'WAL generated per second over the last sampling interval.',
    });
    this.#cacheHit = m.gauge({
      name: 'db_capacity_cache_hit_ratio',
      help: 'Shared-buffer hit ratio of this database since the last stats reset.',
    });
    this.#host = m.gauge({
      name: 'db_capacity_host_percent',
      help: 'Host CPU and memory use when the server is local.',
      labelNames: ['resource'],
    });
    this.#alerts = m.gauge({
      name: 'db_capacity_alerts_active',
      help: 'Active capacity alerts (1 per alert).',
      labelNames: ['type', 'metric'],
    });
    this.#written = m.counter({
      name: 'db_capacity_samples_written_total',
      help: 'Capacity samples written to the history store.',
    });
    this.#duration = m.histogram({
      name: 'db_capacity_collect_duration_seconds',
      help: 'Time to collect one capacity snapshot.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  observeCollect(s: CapacitySnapshot, seconds: number, written: number): void {
    this.#duration.observe(seconds);
    if (written > 0) this.#written.inc(written);
    setFinite(this.#current, { resource: 'database_size' }, s.database.sizeBytes);
    setFinite(this.#current, { resource: 'storage' }, s.storage.usedBytes);
    setFinite(this.#limit, { resource: 'storage' }, s.storage.limitBytes);
    setFinite(this.#usage, { resource: 'storage' }, s.storage.usagePercent);
    setFinite(this.#current, { resource: 'connections' }, s.connections?.used);
    setFinite(this.#limit, { resource: 'connections' }, s.connections?.usable);
    setFinite(this.#usage, { resource: 'connections' }, s.connections?.usagePercent);
    setFinite(this.#current, { resource: 'xid' }, s.xid?.age);
    setFinite(this.#walRate, {}, s.wal?.bytesPerSecond);
    setFinite(this.#cacheHit, {}, s.cache?.hitRatio);
    setFinite(this.#host, { resource: 'cpu' }, s.host?.cpuPercent);
    setFinite(this.#host, { resource: 'memory' }, s.host?.memoryUsedPercent);
    for (const l of this.#tableLabels) this.#table.remove(l);
    this.#tableLabels = s.tables.top.map((t) => ({ schema: t.schema, table: t.name }));
    for (const t of s.tables.top) setFinite(this.#table, { schema: t.schema, table: t.name }, t.totalBytes);
  }

  observeForecasts(forecasts: readonly CapacityForecast[]): void {
    for (const f of forecasts) {
      const r = { resource: f.resource };
      const perDay = f.growthPerDay === null ? null : f.unit === 'bytes' ? f.growthPerDay / MB : f.growthPerDay;
      setFinite(this.#growth, r, perDay);
      if (f.usagePercent !== null) setFinite(this.#usage, r, f.usagePercent);
      setFinite(this.#days, { ...r, bound: 'expected' }, f.daysUntilLimit.expected);
      setFinite(this.#days, { ...r, bound: 'pessimistic' }, f.daysUntilLimit.pessimistic);
      const mapes = f.backtest?.horizons.map((h) => h.mape).filter((x): x is number => x !== null) ?? [];
      setFinite(this.#mape, r, mapes.length ? mapes.reduce((a, b) => a + b, 0) / mapes.length : null);
    }
  }

  observeAlerts(alerts: readonly CapacityAlert[]): void {
    this.#alerts.reset();
    for (const a of alerts) this.#alerts.set({ type: a.type, metric: a.metric }, 1);
  }
}
