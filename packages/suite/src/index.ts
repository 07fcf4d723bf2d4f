// Public surface of @voicehive/db-reliability-suite. Nothing else is API.

export type { FeatureInstances, FeatureName, MaintenanceTask } from './components/feature.js';
export { FEATURES } from './components/feature.js';
export type { FlatSuiteConfig, SuiteConfigInput } from './config.js';
export { FLAT_KEYS, resolveSuiteConfig } from './config.js';
export type { ActionPlacement, ActionRunOptions, SuiteAction } from './http/actions.js';
export type { Role, RoleKeys } from './http/auth.js';
export type { TrustProxy } from './http/client-address.js';
export type { SuiteHandler, SuiteHandlerOptions, SuiteHandlerTarget, SuiteRoute } from './http/handler.js';
export { createSuiteHandler } from './http/handler.js';
export type { AuthRateLimitOptions } from './http/rate-limit.js';
export { AUTH_RATE_LIMIT_DEFAULTS } from './http/rate-limit.js';
export type { RunningServer, StartServerOptions } from './http/server.js';
export { startServer } from './http/server.js';
export type { MaintenanceCycleResult, MaintenanceTaskResult, TaskResultOutcome } from './maintenance/cycle.js';
export type { ExplainRequest, ExplainResult } from './operator/explain.js';
export { renderForecastChart } from './page/chart.js';
export type { PageAction, RenderPageOptions } from './page/render.js';

export { renderStatusPage } from './page/render.js';
export type { LiveThresholds } from './status/database-issues.js';
export { DEAD_ROWS, LIVE_THRESHOLDS } from './status/database-issues.js';
export { isOneOff, RECURRING_MIN_CALLS } from './status/performance-issues.js';
export type {
  BackupRow,
  CapacityChartData,
  ComponentName,
  ComponentState,
  ComponentStatus,
  ComprehensiveStatus,
  ForecastPoint,
  HealthStatus,
  IndexRecommendationRow,
  IssueSeverity,
  PageSection,
  SlowQueryRow,
  StatusIssue,
  StatusPageData,
  VerificationState,
} from './status/types.js';
export { COMPONENT_NAMES, PAGE_SECTIONS } from './status/types.js';
export type { DatabaseReliabilitySuite, MaintenanceCycleOptions, SuiteOptions } from './suite.js';
export { createDatabaseReliabilitySuite } from './suite.js';
