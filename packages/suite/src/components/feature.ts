import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { DatabaseCapacityManager } from '@voicehive/db-capacity';
import type { AuditLog, Database, DbrsConfig, Logger, Metrics } from '@voicehive/db-core';
import type { DatabaseMigrationManager } from '@voicehive/db-migrations';
import type { DatabasePerformanceOptimizer, PgBouncerManager } from '@voicehive/db-performance';
import type { SuiteAction } from '../http/actions.js';
import type { PerformanceSections, SizeGrowth } from '../insights/page-sections.js';
import type { QueryDetail } from '../insights/query-history.js';
import type {
  BackupRow,
  CapacityChartData,
  HealthStatus,
  IndexRecommendationRow,
  SlowQueryRow,
  StatusIssue,
} from '../status/types.js';

import type { FeatureName } from './feature-names.js';

export { FEATURES, type FeatureName } from './feature-names.js';

/** Each feature's object, from its package: what `suite.<name>` is. */
export interface FeatureInstances {
  performance: DatabasePerformanceOptimizer;
  backup: DatabaseBackupManager;
  migrations: DatabaseMigrationManager;
  capacity: DatabaseCapacityManager;
  pgbouncer: PgBouncerManager;
}

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
export interface FeatureComponent<N extends FeatureName = FeatureName> {
  readonly name: N;
  /** The package's own object, exposed as `suite.<name>`. */
  readonly instance: FeatureInstances[N];
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
  /** Queries, index and maintenance tables of the page (performance). */
  pageSections?(signal: AbortSignal): Promise<PerformanceSections>;
  /** Database size growth over 1/7/30 days from stored samples (capacity). */
  sizeGrowth?(signal: AbortSignal): Promise<SizeGrowth>;
  /** One statement's full text, counters and stored history for its own page (performance). */
  queryDetail?(queryHash: string, signal: AbortSignal): Promise<QueryDetail | undefined>;
  /** Operator actions offered on the status page. */
  actions?(): Record<string, SuiteAction>;
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
export type FeatureFactoryResult<N extends FeatureName = FeatureName> =
  | { component: FeatureComponent<N> }
  | { unavailable: string };
export type FeatureFactory<N extends FeatureName = FeatureName> = (
  ctx: FeatureContext,
) => FeatureFactoryResult<N> | Promise<FeatureFactoryResult<N>>;
