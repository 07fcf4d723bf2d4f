import {
  createMetrics,
  type Database,
  type DatabaseInput,
  DbrsError,
  LeaderLock,
  Lifecycle,
  type Logger,
  resolveDatabase,
  silentLogger,
  throwIfAborted,
} from '@voicehive/db-core';
import { activeAlertKeys, alertTransitions } from './alerts/alert-store.js';
import { evaluateAlerts } from './alerts/evaluate.js';
import { AlertState } from './alerts/hysteresis.js';
import type { CapacityAlert } from './alerts/types.js';
import { CapacityCollector } from './collect/collector.js';
import { SERIES, snapshotToSamples } from './collect/flatten.js';
import type { CapacitySnapshot } from './collect/types.js';
import { type DatabaseCapacityManagerOptions, type ResolvedCapacityConfig, resolveCapacityConfig } from './config.js';
import { forecastSeries, sanitize } from './forecast/forecast.js';
import { CapacityMetrics } from './metrics.js';
import { PostgresSampleStore } from './store/postgres-store.js';
import type { SampleStore, StoredSample } from './store/sample-store.js';
import { tableOutlook } from './table-outlook.js';
import type { CapacityDashboardData, CapacityForecast, CapacityResource, CapacityTrend } from './types.js';

/** PgHero's wraparound line: 2^31 minus the 1M-xid safety margin PostgreSQL stops at. */
export const XID_WRAPAROUND_LIMIT = 2_146_483_648;

const DAY = 86_400_000;
/** Trends report changes over up to 30 days; one more day lets the 30-day window find its first sample. */
const TREND_DAYS = 31;
const TREND_METRICS: readonly [CapacityResource, string, CapacityTrend['unit']][] = [
  ['storage', SERIES.storageUsed, 'bytes'],
  ['database_size', SERIES.databaseSize, 'bytes'],
  ['connections', SERIES.connectionsUsed, 'connections'],
  ['xid', SERIES.xidAge, 'transactions'],
  ['wal', SERIES.walPosition, 'bytes'],
];

export interface CollectResult {
  snapshot: CapacitySnapshot;
  /** Samples newly stored (0 when another instance is the writer). */
  written: number;
  /** Whether this instance wrote (held the leader lock, or the store is not shared). */
  leader: boolean;
}

export interface GetForecastsOptions {
  signal?: AbortSignal;
  /** Reference time, default now. */
  now?: Date;
  /** Only these resources. Default: storage, database_size, connections, xid, wal and the largest tables. */
  resources?: readonly CapacityResource[];
}

interface ResourceSpec {
  resource: CapacityResource;
  metric: string;
  unit: CapacityForecast['unit'];
  limit: number | null;
  thresholdsPercent: number[];
}

/**
 * Collects capacity samples into a history that survives restarts, forecasts
 * each resource with the model that backtests best on its own history, and
 * turns the pessimistic bound into alerts. Several replicas may run one each:
 * only the holder of the leader lock writes.
 */
export class DatabaseCapacityManager implements AsyncDisposable {
  readonly config: ResolvedCapacityConfig;
  readonly store: SampleStore;
  readonly #db: Database;
  readonly #ownsDb: boolean;
  readonly #logger: Logger;
  readonly #metrics: CapacityMetrics;
  readonly #collector: CapacityCollector;
  readonly #alertState = new AlertState();
  readonly #ownsStore: boolean;
  #lock: LeaderLock | undefined;
  #latest: CapacitySnapshot | undefined;
  #lastMaintenance = 0;
  // The shared lifecycle kit: memoised, retried initialise; CLOSED after close().
  readonly #life = new Lifecycle({
    name: 'capacity manager',
    init: (signal) => this.#start(signal),
    dispose: () => this.#release(),
  });

  constructor(db: DatabaseInput | URL, config: DatabaseCapacityManagerOptions = {}) {
    this.config = resolveCapacityConfig(config);
    this.#logger = (config.logger ?? silentLogger()).child({ component: 'capacity' });
    const resolved = resolveDatabase(db instanceof URL ? db.toString() : db, { logger: this.#logger });
    this.#db = resolved.database;
    this.#ownsDb = resolved.owned;
    this.#metrics = new CapacityMetrics(config.metrics ?? createMetrics());
    this.#ownsStore = config.store === undefined;
    this.store =
      config.store ??
      new PostgresSampleStore(this.#db, {
        schema: this.config.schema,
        table: this.config.table,
        createTable: this.config.createTable,
        ...(this.config.previousSchema === undefined ? {} : { previousSchema: this.config.previousSchema }),
      });
    this.#collector = new CapacityCollector(this.#db, {
      topN: this.config.topN,
      local: this.config.local,
      storageLimitBytes: this.config.storageLimitBytes,
      logger: this.#logger,
    });
  }

  /** Creates the history table if needed (Postgres store) and checks the connection. */
  /** Optional: every method initialises on first use. Idempotent; retried after a failure. */
  initialize(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#life.initialize(options);
  }

  async #start(signal: AbortSignal | undefined): Promise<void> {
    await this.store.init({ signal });
    if (this.store instanceof PostgresSampleStore && this.store.movedFrom) {
      const { schema, sql } = this.store.movedFrom;
      this.#logger.warn(
        { event: 'state_table_previous_location', table: this.store.table, schema, sql },
        `capacity history is still in schema ${schema}; move it with: ${sql}`,
      );
    }
    if (this.store.shared)
      this.#lock = new LeaderLock(this.#db, { name: this.config.leaderLockName, logger: this.#logger });
    this.#logger.info({ event: 'capacity_initialized', store: this.store.constructor.name }, 'capacity manager ready');
  }

  /**
   * Reads one snapshot and, if this instance is the writer, stores it (and
   * runs downsampling/retention when due). `at` stamps the sample; tests use
   * it to lay a history over simulated days.
   */
  async collectSample(options: { signal?: AbortSignal; at?: Date } = {}): Promise<CollectResult> {
    await this.#life.ready(options.signal);
    if (options.at !== undefined && !(options.at instanceof Date && Number.isFinite(options.at.getTime()))) {
      throw new DbrsError('INVALID_ARGUMENT', 'collectSample({ at }) needs a valid Date.', {
        hint: 'Pass a Date, or omit it to use the current time.',
      });
    }
    const started = performance.now();
    const snapshot = await this.#collector.collect(options);
    this.#latest = snapshot;
    const samples = snapshotToSamples(snapshot);
    const { written, leader } = await this.#writeAsLeader(samples, snapshot.collectedAt, options.signal);
    this.#metrics.observeCollect(snapshot, (performance.now() - started) / 1000, written);
    this.#logger.debug(
      { event: 'capacity_sample', written, leader, errors: snapshot.errors.length },
      'capacity sample collected',
    );
    return { snapshot, written, leader };
  }

  /** Forecasts for every resource from the stored history. */
  async getForecasts(options: GetForecastsOptions = {}): Promise<CapacityForecast[]> {
    await this.#life.ready(options.signal);
    const now = options.now ?? new Date();
    const byMetric = groupByMetric(await this.#readHistory(now, this.config.forecast.historyDays, options.signal));
    return this.#forecastsFrom(byMetric, now, options);
  }

  /**
   * Everything a capacity page shows: the latest snapshot, growth, forecasts and active alerts. A read: with
   * no sample taken yet in this process it reads the catalog for one, and stores nothing (sampling is
   * `collectSample`'s job, on its schedule).
   */
  async getCapacityDashboardData(options: { signal?: AbortSignal; now?: Date } = {}): Promise<CapacityDashboardData> {
    await this.#life.ready(options.signal);
    this.#latest ??= await this.#collector.collect({ signal: options.signal, at: options.now });
    const current = this.#latest;
    const now = options.now ?? new Date();
    // One read serves both; each then sees exactly the window it would have read on its own.
    const historyDays = this.config.forecast.historyDays;
    const rows = await this.#readHistory(now, Math.max(historyDays, TREND_DAYS), options.signal);
    const forecastSince = now.getTime() - historyDays * DAY;
    const trendSince = now.getTime() - TREND_DAYS * DAY;
    const trendMetrics = new Set(TREND_METRICS.map((m) => m[1]));
    const forecasts = this.#forecastsFrom(
      groupByMetric(rows.filter((r) => r.ts.getTime() >= forecastSince)),
      now,
      options,
    );
    const trends = this.#trends(
      groupByMetric(rows.filter((r) => trendMetrics.has(r.metric) && r.ts.getTime() >= trendSince)),
      now,
    );
    // No stored history means nothing was ever written: alert state is kept from the first sample on, so a
    // read never creates the history table.
    const alerts = await this.#evaluateWithStoredState(current, forecasts, activeAlertKeys(rows), now, {
      persist: rows.length > 0,
      signal: options.signal,
    });
    return { current, trends, forecasts, tables: tableOutlook(forecasts), alerts, generatedAt: new Date() };
  }

  /**
   * Hysteresis with the state kept in the store: start from the stored active keys, evaluate, store the transitions.
   * A failed state write is logged, not thrown: the alerts computed are still right for this call.
   */
  async #evaluateWithStoredState(
    current: CapacitySnapshot,
    forecasts: readonly CapacityForecast[],
    before: ReadonlySet<string>,
    now: Date,
    { persist, signal }: { persist: boolean; signal?: AbortSignal | undefined },
  ): Promise<CapacityAlert[]> {
    this.#alertState.replace(before);
    const alerts = this.evaluateAlerts(current, forecasts);
    const changes = alertTransitions(before, this.#alertState.activeKeys, now);
    if (persist && changes.length > 0) {
      await this.store.write(changes, signal ? { signal } : {}).catch((err) => {
        this.#logger.warn({ event: 'capacity_alert_state_write_failed', err }, 'alert state not stored');
      });
    }
    return alerts;
  }

  /** Every series from `days` before `now` up to and including `now`. */
  #readHistory(now: Date, days: number, signal?: AbortSignal): Promise<StoredSample[]> {
    return this.store.read(
      { since: new Date(now.getTime() - days * DAY), until: new Date(now.getTime() + 1) },
      signal ? { signal } : {},
    );
  }

  #forecastsFrom(byMetric: Map<string, StoredSample[]>, now: Date, options: GetForecastsOptions): CapacityForecast[] {
    const specs = this.#resourceSpecs(byMetric).filter(
      (s) => !options.resources || options.resources.includes(s.resource),
    );
    const out: CapacityForecast[] = [];
    for (const spec of specs) {
      throwIfAborted(options.signal, 'capacity forecast');
      const points = (byMetric.get(spec.metric) ?? []).map((s) => ({ t: s.ts.getTime(), v: s.value }));
      const f = forecastSeries(points, {
        ...this.config.forecast,
        limit: spec.limit,
        thresholdsPercent: spec.thresholdsPercent,
        now: now.getTime(),
        clean: { nonNegative: true },
      });
      out.push(sanitize({ resource: spec.resource, metric: spec.metric, unit: spec.unit, ...f }));
    }
    this.#metrics.observeForecasts(out);
    return out;
  }

  /** Applies the alert rules (with this manager's hysteresis state) to a snapshot and its forecasts. */
  evaluateAlerts(current: CapacitySnapshot, forecasts: readonly CapacityForecast[]): CapacityAlert[] {
    const storage = forecasts.find((f) => f.resource === 'storage');
    const xid = forecasts.find((f) => f.resource === 'xid');
    const alerts = evaluateAlerts(
      {
        storage: {
          usagePercent: current.storage.usagePercent,
          daysUntilFull: storage?.daysUntilLimit.pessimistic ?? null,
          usedBytes: current.storage.usedBytes,
          limitBytes: current.storage.limitBytes,
        },
        connections: current.connections
          ? {
              usagePercent: current.connections.usagePercent,
              used: current.connections.used,
              max: current.connections.usable,
            }
          : undefined,
        xid: current.xid
          ? { age: current.xid.age, daysUntilWraparound: xid?.daysUntilLimit.pessimistic ?? null }
          : undefined,
      },
      this.config.thresholds,
      this.config.hysteresis,
      this.#alertState,
    );
    this.#metrics.observeAlerts(alerts);
    return alerts;
  }

  /** Downsampling and retention now (normally run by the leader after a write, at most hourly). */
  async maintain(options: { signal?: AbortSignal; now?: Date } = {}) {
    await this.#life.ready(options.signal);
    return this.store.maintain(this.config.retention, options.now ?? new Date(), options);
  }

  /** The most recent snapshot this instance collected. */
  get latestSnapshot(): CapacitySnapshot | undefined {
    return this.#latest;
  }

  get isLeader(): boolean {
    return !this.store.shared || (this.#lock?.held ?? false);
  }

  /** Idempotent. */
  close(): Promise<void> {
    return this.#life.close();
  }

  async #release(): Promise<void> {
    await this.#lock
      ?.close()
      .catch((err) => this.#logger.warn({ event: 'lock_close_failed', err }, 'leader lock close failed'));
    if (this.#ownsStore) await this.store.close();
    if (this.#ownsDb) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #writeAsLeader(
    samples: StoredSample[],
    at: Date,
    signal?: AbortSignal,
  ): Promise<{ written: number; leader: boolean }> {
    const write = async () => {
      const written = await this.store.write(samples, { signal });
      if (at.getTime() - this.#lastMaintenance >= this.config.maintenanceIntervalMs) {
        this.#lastMaintenance = at.getTime();
        await this.store.maintain(this.config.retention, at, { signal }).catch((err) => {
          this.#logger.warn({ event: 'capacity_maintenance_failed', err }, 'downsampling/retention failed');
        });
      }
      return written;
    };
    if (!this.store.shared || !this.#lock) return { written: await write(), leader: true };
    if (this.config.leadership === 'hold') {
      if (!(await this.#lock.acquire({ signal }))) return { written: 0, leader: false };
      return { written: await write(), leader: true };
    }
    const r = await this.#lock.runExclusive(write, { signal });
    return r.ran ? { written: r.value, leader: true } : { written: 0, leader: false };
  }

  #resourceSpecs(byMetric: Map<string, StoredSample[]>): ResourceSpec[] {
    const t = this.config.thresholds;
    const latest = (metric: string) => {
      const s = byMetric.get(metric);
      return s?.length ? s[s.length - 1]!.value : null;
    };
    const storageLimit = this.#latest?.storage.limitBytes ?? latest(SERIES.storageLimit);
    const specs: ResourceSpec[] = [
      {
        resource: 'storage',
        metric: SERIES.storageUsed,
        unit: 'bytes',
        limit: storageLimit,
        thresholdsPercent: [t.warningPercent, t.criticalPercent],
      },
      {
        resource: 'database_size',
        metric: SERIES.databaseSize,
        unit: 'bytes',
        limit: this.config.storageLimitBytes ?? null,
        thresholdsPercent: [t.warningPercent, t.criticalPercent],
      },
      {
        resource: 'connections',
        metric: SERIES.connectionsUsed,
        unit: 'connections',
        limit: this.#latest?.connections?.usable ?? latest(SERIES.connectionsUsable),
        thresholdsPercent: [t.connectionsWarningPercent, t.connectionsCriticalPercent],
      },
      {
        resource: 'xid',
        metric: SERIES.xidAge,
        unit: 'transactions',
        limit: XID_WRAPAROUND_LIMIT,
        thresholdsPercent: [
          (100 * t.xidAgeWarning) / XID_WRAPAROUND_LIMIT,
          (100 * t.xidAgeCritical) / XID_WRAPAROUND_LIMIT,
        ],
      },
      { resource: 'wal', metric: SERIES.walPosition, unit: 'bytes', limit: null, thresholdsPercent: [] },
    ];
    const tables = [...byMetric.keys()]
      .filter((m) => m.startsWith(SERIES.tablePrefix))
      .map((m) => ({ m, v: latest(m) ?? 0 }))
      .sort((a, b) => b.v - a.v)
      .slice(0, this.config.topN);
    // A table's "limit" is its size plus the free storage: its days-until is when its growth alone fills the disk.
    const storageUsed = this.#latest?.storage.usedBytes ?? latest(SERIES.storageUsed);
    const free = storageLimit !== null && storageUsed !== null ? Math.max(0, storageLimit - storageUsed) : null;
    for (const { m, v } of tables) {
      specs.push({
        resource: `table:${m.slice(SERIES.tablePrefix.length)}`,
        metric: m,
        unit: 'bytes',
        limit: free === null ? null : v + free,
        thresholdsPercent: [],
      });
    }
    return specs;
  }

  /** Current value and 1/7/30-day change per trend metric, from the last TREND_DAYS of history. */
  #trends(by: Map<string, StoredSample[]>, now: Date): CapacityTrend[] {
    return TREND_METRICS.map(([resource, metric, unit]) => {
      const s = by.get(metric) ?? [];
      const current = s.length ? s[s.length - 1]!.value : null;
      const change = (days: number) => {
        const from = now.getTime() - days * DAY;
        // The oldest sample inside the window, and only if the history really reaches back that far.
        const first = s.find((x) => x.ts.getTime() >= from);
        const reaches = s.length > 0 && s[0]!.ts.getTime() <= from + 0.1 * days * DAY;
        return current !== null && first && reaches ? current - first.value : null;
      };
      return sanitize({
        resource,
        metric,
        unit,
        current,
        change1d: change(1),
        change7d: change(7),
        change30d: change(30),
      });
    });
  }
}

function groupByMetric(rows: readonly StoredSample[]): Map<string, StoredSample[]> {
  const out = new Map<string, StoredSample[]>();
  for (const r of rows) {
    let list = out.get(r.metric);
    if (!list) {
      list = [];
      out.set(r.metric, list);
    }
    list.push(r);
  }
  for (const list of out.values()) list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  return out;
}
