import type { AuditLog, Database, DbrsConfig, Logger, Metrics } from '@voicehive/db-core';
import type {
  BackupRow,
  CapacityChartData,
  HealthStatus,
  IndexRecommendationRow,
  SlowQueryRow,
  StatusIssue,
} from '../status/types.js';

export type FeatureName = 'performance' | 'backup' | 'migrations' | 'capacity' | 'pgbouncer';

export interface FeatureStatus {
  status: HealthStatus;
  message?: string;
  details?: Record<string, unknown>;
  issues?: StatusIssue[];
}

/** One unit of maintenance work; run once per cycle at most, and only when due. */
export interface MaintenanceTask {
  /** Dotted name, also the audit action: `capacity.sample`, `backup.verify-latest`. */
  name: string;
  /** Not run again (by any replica) sooner than this after it last completed. */
  minIntervalMs: number;
  /** Extra condition (e.g. "the latest backup is unverified"). Default: always due. */
  isDue?(signal: AbortSignal): Promise<boolean>;
  run(signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
}

/** What the suite needs from a feature package, whatever its own API looks like. */
export interface FeatureComponent {
  readonly name: FeatureName;
  /** The package's own object, exposed as `suite.<name>`. */
  readonly instance: unknown;
  initialize(signal?: AbortSignal): Promise<void>;
  status(signal: AbortSignal): Promise<FeatureStatus>;
  tasks(): MaintenanceTask[];
  slowQueries?(signal: AbortSignal): Promise<SlowQueryRow[]>;
  indexRecommendations?(signal: AbortSignal): Promise<IndexRecommendationRow[]>;
  backups?(signal: AbortSignal): Promise<BackupRow[]>;
  capacityChart?(signal: AbortSignal): Promise<CapacityChartData | undefined>;
  /**
   * Sets this component's metrics from durable state (catalog, tables, sample store), so the process
   * serving /metrics exports them after a restart and sees work done by other processes.
   */
  durableMetrics?(signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Operator actions offered on the status page. */
  actions?(): Record<
    string,
    { label: string; run(options: { signal?: AbortSignal; actor: string }): Promise<unknown> }
  >;
  close(): Promise<void>;
}

export interface FeatureContext {
  database: Database;
  config: DbrsConfig;
  metrics: Metrics;
  logger: Logger;
  audit: AuditLog;
  /** Suite-wide abort (shutdown). */
  signal: AbortSignal;
}

/** A feature either builds, or says plainly why it is not there. */
export type FeatureFactoryResult = { component: FeatureComponent } | { unavailable: string };
export type FeatureFactory = (ctx: FeatureContext) => FeatureFactoryResult | Promise<FeatureFactoryResult>;
