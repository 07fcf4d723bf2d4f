import type { Metrics } from '@voicehive/db-core';

// prom-client is core's dependency, not ours: take its types through Metrics.
type Gauge<_L extends string = string> = ReturnType<Metrics['gauge']>;
type Histogram<_L extends string = string> = ReturnType<Metrics['histogram']>;
type Counter<_L extends string = string> = ReturnType<Metrics['counter']>;

/** The backup metrics (names from the original; Metrics adds the `voicehive_` prefix). */
export interface BackupMetrics {
  status: Gauge<'database' | 'type'>;
  duration: Histogram<'database' | 'type'>;
  size: Gauge<'database' | 'type'>;
  lastSuccess: Gauge<'database' | 'type'>;
  verification: Gauge<'database' | 'level'>;
  lastVerification: Gauge<'database'>;
  restoreTestDuration: Gauge<'database'>;
  failures: Counter<'database' | 'type' | 'code'>;
}

export function backupMetrics(m: Metrics): BackupMetrics {
  return {
    status: m.gauge({
      name: 'backup_status',
      help: 'Outcome of the latest backup: 1 ok, 0 failed',
      labelNames: ['database', 'type'],
    }),
    duration: m.histogram({
      name: 'backup_duration_seconds',
      help: 'Wall time of backups',
      labelNames: ['database', 'type'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 10800],
    }),
    size: m.gauge({
      name: 'backup_size_bytes',
      help: 'Stored size of the latest successful backup',
      labelNames: ['database', 'type'],
    }),
    lastSuccess: m.gauge({
      name: 'backup_last_success_timestamp_seconds',
      help: 'Unix time the latest successful backup finished',
      labelNames: ['database', 'type'],
    }),
    verification: m.gauge({
      name: 'backup_verification_status',
      help: 'Outcome of the latest verification: 1 ok, 0 failed',
      labelNames: ['database', 'level'],
    }),
    lastVerification: m.gauge({
      name: 'backup_last_verification_timestamp_seconds',
      help: 'Unix time of the latest successful verification',
      labelNames: ['database'],
    }),
    restoreTestDuration: m.gauge({
      name: 'backup_restore_test_duration_seconds',
      help: 'Measured restore time of the latest level-3 restore test (achieved RTO)',
      labelNames: ['database'],
    }),
    failures: m.counter({
      name: 'backup_failures_total',
      help: 'Failed backups by error code',
      labelNames: ['database', 'type', 'code'],
    }),
  };
}
