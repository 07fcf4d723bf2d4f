// Public surface of @voicehive/db-core. Nothing else is API.

export type { AuditEntry, AuditLogOptions, AuditOutcome, AuditRecord } from './audit/audit-log.js';
export { AuditLog, createAuditLog } from './audit/audit-log.js';
export type { DatabaseUrlFields } from './config/database-url.js';
export { databaseUrlFromConfig } from './config/database-url.js';
export type { EnvBinding, EnvSource } from './config/env.js';
export { ENV_BINDINGS } from './config/env.js';
export type { ConfigProblem } from './config/issues.js';
export type { LoadConfigOptions } from './config/load-config.js';
export { loadConfig } from './config/load-config.js';
export { ORIGINAL_LAYOUT } from './config/original-layout.js';
export type { PlainObject } from './config/plain-object.js';
export { isPlainObject } from './config/plain-object.js';
export { redactConfig } from './config/redact-config.js';
export type {
  AuditConfig,
  BackupConfig,
  CapacityConfig,
  DatabaseConfig,
  DbrsConfig,
  DbrsConfigInput,
  LoggingConfig,
  MetricsConfig,
  MigrationsConfig,
  PerformanceConfig,
  PgBouncerConfig,
  ServerConfig,
} from './config/schema.js';
export { configSchema } from './config/schema.js';
export { validateConfig } from './config/validate-config.js';
export type { AcquireOptions, LeaderLockOptions } from './coordination/leader-lock.js';
export { createLeaderLock, LeaderLock } from './coordination/leader-lock.js';
export { advisoryLockKey } from './coordination/lock-key.js';
export type { ConnectionInfo, ParsedUrl, SslMode } from './database/connection-info.js';
export { describeConnection, parseDatabaseUrl, withDatabase } from './database/connection-info.js';
export type {
  DatabaseConnectionConfig,
  DatabaseInput,
  DatabaseOptions,
  Queryable,
  QueryOptions,
} from './database/database.js';
export { createDatabase, Database, resolveDatabase, siblingDatabase } from './database/database.js';
export type { ConnectionCredentials, LibpqEnvOptions } from './database/libpq-env.js';
export { connectionCredentials, libpqEnv } from './database/libpq-env.js';
export { mapDatabaseError } from './database/map-error.js';
export type { GetServerVersionOptions, ServerVersion } from './database/server-version.js';
export { getServerVersion } from './database/server-version.js';
export type { LocateStateTableOptions, StateTableLocation } from './database/state-table.js';
export {
  DEFAULT_STATE_SCHEMA,
  ensureSchema,
  isMissingTable,
  locateStateTable,
  PREVIOUS_STATE_SCHEMA,
  rowsOrNoneIfMissing,
} from './database/state-table.js';
export { DBRS_TAG, isSuiteStatement, tagSql } from './database/statement-tag.js';
export type { TlsInput, TlsSettings } from './database/tls.js';
export { libpqTlsEnv, nodeTlsOptions, resolveTls } from './database/tls.js';
export type { DbrsErrorCode, DbrsErrorOptions } from './errors.js';
export { abortError, DbrsError, isDbrsError, throwIfAborted } from './errors.js';
export type { DatabaseCheckOptions } from './health/database-check.js';
export { databasePingCheck } from './health/database-check.js';
export type { CheckOutcome, CheckResult, HealthCheck, HealthReport, HealthStatus } from './health/health-registry.js';
export { aggregate as aggregateHealth, HealthRegistry } from './health/health-registry.js';
export type { LifecycleOptions } from './lifecycle/lifecycle.js';
export { Lifecycle } from './lifecycle/lifecycle.js';
export type { CreateLoggerOptions, Logger } from './observability/logger.js';
export { createLogger, silentLogger } from './observability/logger.js';
export type { CreateMetricsOptions } from './observability/metrics.js';
export { createMetrics, Metrics } from './observability/metrics.js';
export type { SchedulerOptions, TaskContext, TaskDefinition, TaskOutcome, TaskRun } from './scheduling/scheduler.js';
export { createScheduler, Scheduler } from './scheduling/scheduler.js';
export { errorMessage } from './util/error-message.js';
export { isSecretKey, REDACTED, redact, redactString, redactUrl } from './util/redact.js';
export { quoteIdent, quoteLiteral, quoteQualified } from './util/sql.js';
export type { WithTimeoutOptions } from './util/with-timeout.js';
export { withTimeout } from './util/with-timeout.js';
