import {
  type CapacityForecast,
  DatabaseCapacityManager,
  type DatabaseCapacityManagerOptions,
  DEFAULT_ALERT_THRESHOLDS,
  SERIES,
} from '@voicehive/db-capacity';
import { sizeGrowth } from '../insights/size-growth.js';
import { exportCapacityState } from '../metrics/capacity-state.js';
import type { CapacityChartData, ForecastPoint, StatusIssue } from '../status/types.js';
import type { FeatureComponent, FeatureContext, FeatureFactoryResult, FeatureStatus } from './feature.js';
import { stateLocation } from './state-schema.js';

const MB = 1024 * 1024;
const DAY = 86_400_000;

/**
 * The capacity manager's options and the sampling interval from the
 * `capacity` section. Every key is destructured and consumed; an unconsumed
 * one is a compile error.
 */
export function capacityPlan(ctx: Pick<FeatureContext, 'config' | 'logger' | 'metrics'>): {
  manager: DatabaseCapacityManagerOptions;
  sampleIntervalMs: number;
} {
  const {
    enabled: _builtWhenEnabled,
    sampleIntervalMs,
    schema,
    retentionDays,
    storageLimitBytes,
    warningPercent,
    criticalPercent,
    daysWarning,
    daysCritical,
    connectionsWarningPercent,
    xidAgeWarning,
    ...unconsumed
  } = ctx.config.capacity;
  unconsumed satisfies Record<string, never>;
  return {
    manager: {
      ...stateLocation(ctx.config, schema),
      retentionDays,
      ...(storageLimitBytes !== undefined ? { storageLimitBytes } : {}),
      warningPercent,
      criticalPercent,
      daysWarning,
      daysCritical,
      connectionsWarningPercent,
      // The critical levels are not configurable; keep them above a raised warning level.
      connectionsCriticalPercent: Math.max(
        DEFAULT_ALERT_THRESHOLDS.connectionsCriticalPercent,
        connectionsWarningPercent,
      ),
      xidAgeWarning,
      xidAgeCritical: Math.max(DEFAULT_ALERT_THRESHOLDS.xidAgeCritical, xidAgeWarning),
      logger: ctx.logger,
      metrics: ctx.metrics,
    },
    sampleIntervalMs,
  };
}

export const capacityFeature = (ctx: FeatureContext): FeatureFactoryResult<'capacity'> => {
  const plan = capacityPlan(ctx);
  const manager = new DatabaseCapacityManager(ctx.database, plan.manager);
  const c = { sampleIntervalMs: plan.sampleIntervalMs };

  const component: FeatureComponent<'capacity'> = {
    name: 'capacity',
    instance: manager,
    initialize: (signal) => manager.initialize({ signal }),
    async status(signal): Promise<FeatureStatus> {
      const data = await manager.getCapacityDashboardData({ signal });
      const issues: StatusIssue[] = data.alerts.map((a) => ({
        severity: a.type === 'critical' ? 'critical' : 'warning',
        component: 'capacity',
        message: a.message,
        action:
          a.resource === 'connections'
            ? 'Put pgBouncer in front of the database or raise max_connections.'
            : a.resource === 'xid'
              ? 'Run VACUUM (FREEZE) on the oldest tables and check for long-running transactions.'
              : 'Free space (drop unused indexes, archive old rows) or grow the volume before the forecast date.',
      }));
      const storage = data.forecasts.find((f) => f.resource === 'storage');
      const status = data.alerts.some((a) => a.type === 'critical')
        ? 'unhealthy'
        : data.alerts.length
          ? 'degraded'
          : 'healthy';
      return {
        status,
        message: `database ${(data.current.database.sizeBytes / MB).toFixed(1)} MB${data.current.storage.usagePercent != null ? `, storage ${data.current.storage.usagePercent.toFixed(1)}% used` : ''}`,
        details: {
          databaseSizeBytes: data.current.database.sizeBytes,
          storageUsagePercent: data.current.storage.usagePercent,
          daysUntilFull: storage?.daysUntilLimit.pessimistic ?? null,
          forecastStatus: storage?.status,
        },
        issues,
      };
    },
    tasks() {
      return [
        {
          name: 'capacity.sample',
          minIntervalMs: c.sampleIntervalMs,
          async run(signal) {
            const r = await manager.collectSample({ signal });
            return { written: r.written, databaseSizeBytes: r.snapshot.database.sizeBytes };
          },
        },
      ];
    },
    capacityChart: (signal) => capacityChart(manager, signal),
    sizeGrowth: (signal) => sizeGrowth(manager, signal),
    durableMetrics: (signal) => exportCapacityState({ manager, metrics: ctx.metrics, signal }),
    close: () => manager.close(),
  };
  return { component };
};

/**
 * Database size history and forecast for the page's chart. The band between
 * now and the forecast's interval horizon is interpolated with √h (how the
 * forecast error grows); it is a drawing aid, the numbers are the forecast's.
 */
export async function capacityChart(
  manager: DatabaseCapacityManager,
  signal?: AbortSignal,
): Promise<CapacityChartData> {
  const now = new Date();
  const [forecasts, history] = await Promise.all([
    manager.getForecasts({ signal, now, resources: ['database_size'] }),
    manager.store.read(
      { metrics: [SERIES.databaseSize], since: new Date(now.getTime() - 90 * DAY), until: new Date(now.getTime() + 1) },
      { signal },
    ),
  ]);
  const f: CapacityForecast | undefined = forecasts[0];
  const points = history.map((s) => ({ t: s.ts.toISOString(), v: s.value / MB }));
  const forecast: ForecastPoint[] = [];
  if (f && f.status === 'ok' && f.current !== null && f.growthPerDay !== null && f.interval) {
    const H = f.interval.horizonDays;
    const halfUp = (f.interval.upper - f.interval.point) / MB;
    const halfDown = (f.interval.point - f.interval.lower) / MB;
    const steps = 12;
    for (let i = 1; i <= steps; i++) {
      const d = (H * i) / steps;
      const v = (f.current + f.growthPerDay * d) / MB;
      const k = Math.sqrt(d / H);
      forecast.push({
        t: new Date(now.getTime() + d * DAY).toISOString(),
        v,
        lower: Math.max(0, v - halfDown * k),
        upper: v + halfUp * k,
      });
    }
  }
  return {
    metric: 'database size',
    unit: 'MB',
    history: points,
    forecast,
    ...(f?.limit ? { limit: f.limit / MB } : {}),
    ...(f ? { daysUntilFull: f.daysUntilLimit.pessimistic } : {}),
    ...(f?.growthPerDay != null ? { growthPerDay: f.growthPerDay / MB } : {}),
    ...(f?.model ? { model: f.model } : {}),
    ...(f && f.status !== 'ok' ? { note: `No forecast yet: ${f.reason ?? f.status}.` } : {}),
    ...(f?.changePoints.length
      ? { changePoints: f.changePoints.map((c) => ({ t: c.at, kind: c.kind, size: c.size / MB })) }
      : {}),
  };
}
