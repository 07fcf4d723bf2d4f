import type { DatabaseCapacityManager } from '@voicehive/db-capacity';
import type { Metrics } from '@voicehive/db-core';

/**
 * Capacity series from the sample store: forecasts (days until full, growth,
 * usage) and alerts are recomputed from stored history, and the current
 * readings are taken now, so a restarted server exports them before its
 * next sample is due. The manager sets the forecast and alert gauges itself;
 * readings it only sets when it writes a sample are set here under the same
 * names. Unknown readings (no storage limit configured) stay absent.
 */
export async function exportCapacityState(options: {
  manager: DatabaseCapacityManager;
  metrics: Metrics;
  signal?: AbortSignal;
}): Promise<{ forecasts: number }> {
  const data = await options.manager.getCapacityDashboardData({ signal: options.signal });
  const current = options.metrics.gauge({
    name: 'db_capacity_current_value',
    help: 'Latest reading per resource (bytes, connections or transaction ids).',
    labelNames: ['resource'],
  });
  const limit = options.metrics.gauge({
    name: 'db_capacity_limit_value',
    help: 'Limit per resource, in the same unit as db_capacity_current_value.',
    labelNames: ['resource'],
  });
  const usage = options.metrics.gauge({
    name: 'db_capacity_usage_percent',
    help: 'Resource usage as a percentage of its limit.',
    labelNames: ['resource'],
  });
  const set = (g: typeof current, resource: string, v: number | null | undefined) => {
    if (typeof v === 'number' && Number.isFinite(v)) g.set({ resource }, v);
  };
  const c = data.current;
  set(current, 'database_size', c.database.sizeBytes);
  set(current, 'storage', c.storage.usedBytes);
  set(limit, 'storage', c.storage.limitBytes);
  set(usage, 'storage', c.storage.usagePercent);
  set(current, 'connections', c.connections?.used);
  set(limit, 'connections', c.connections?.usable);
  set(usage, 'connections', c.connections?.usagePercent);
  set(current, 'xid', c.xid?.age);
  return { forecasts: data.forecasts.length };
}
