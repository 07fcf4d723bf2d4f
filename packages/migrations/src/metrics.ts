import type { Metrics } from '@voicehive/db-core';

export interface MigrationMetrics {
  observe(name: string, direction: 'up' | 'down', outcome: 'success' | 'failure', durationMs: number): void;
}

export function createMigrationMetrics(metrics: Metrics): MigrationMetrics {
  const applied = metrics.counter({
    name: 'migrations_applied_total',
    help: 'Migrations applied or rolled back successfully.',
    labelNames: ['direction'],
  });
  const failed = metrics.counter({
    name: 'migrations_failed_total',
    help: 'Migrations that failed (up or down).',
    labelNames: ['direction'],
  });
  const duration = metrics.histogram({
    name: 'migration_duration_seconds',
    help: 'Duration of each migration, up or down.',
    labelNames: ['direction', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
  });
  // Created on the first success: an unlabelled gauge exports 0 until set, read as "applied in 1970".
  const last = () =>
    metrics.gauge({
      name: 'migration_last_applied_timestamp_seconds',
      help: 'Unix time of the last successfully applied migration.',
    });
  const lastInfo = metrics.gauge({
    name: 'migration_last_applied_info',
    help: 'Name of the last applied migration (value 1).',
    labelNames: ['name'],
  });
  return {
    observe(name, direction, outcome, durationMs) {
      (outcome === 'success' ? applied : failed).inc({ direction });
      duration.observe({ direction, outcome }, durationMs / 1000);
      if (outcome === 'success' && direction === 'up') {
        last().set(Date.now() / 1000);
        lastInfo.reset();
        lastInfo.set({ name }, 1);
      }
    },
  };
}
