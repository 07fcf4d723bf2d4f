import { register as globalRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../src/index.js';

describe('createMetrics', () => {
  it('registers prefixed metrics with default labels on the caller registry, never the global one', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry, prefix: 'hotel_', defaultLabels: { service: 'booking-api' } });
    metrics
      .counter({ name: 'db_slow_queries_total', help: 'Slow queries', labelNames: ['severity'] })
      .inc({ severity: 'critical' }, 2);
    metrics.gauge({ name: 'db_capacity_usage_percent', help: 'Usage' }).set(42.5);
    const text = await metrics.text();
    expect(text).toContain('# TYPE hotel_db_slow_queries_total counter');
    expect(text).toContain('hotel_db_slow_queries_total{severity="critical",service="booking-api"} 2');
    expect(text).toContain('hotel_db_capacity_usage_percent{service="booking-api"} 42.5');
    expect(await globalRegistry.metrics()).not.toContain('hotel_');
    expect(metrics.contentType).toContain('text/plain');
  });

  it('defaults to the voicehive_ prefix and shares a metric asked for twice', async () => {
    const metrics = createMetrics();
    const a = metrics.counter({ name: 'backup_total', help: 'Backups' });
    const b = metrics.counter({ name: 'backup_total', help: 'Backups' });
    expect(a).toBe(b);
    a.inc();
    b.inc();
    expect(await metrics.text()).toContain('voicehive_backup_total 2');
  });
});
