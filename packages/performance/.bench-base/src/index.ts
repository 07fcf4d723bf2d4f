// Public surface of @voicehive/db-performance. Nothing else is API.

export type { AdvisorSkipped, AffectedQuery, IndexRecommendation, QualstatsContribution } from './advisor/advisor.js';
export type { CandidateIndex, IndexColumn } from './advisor/candidates.js';
export { buildCandidates, coveringIndex } from './advisor/candidates.js';
export type { CostedCandidate, GreedyBudget, Selection, WorkloadStatement } from './advisor/greedy.js';
export { selectGreedy } from './advisor/greedy.js';
export type { ColumnUse, NonSargable, ShapeOutcome, StatementShape, TableRef } from './advisor/parse-statement.js';
export { parseStatement } from './advisor/parse-statement.js';
export type { HideMethod } from './advisor/plan-session.js';
export type { SlowerStatement } from './advisor/slower-statement.js';
export type { FindingKind, QueryFinding } from './analysis/plan-findings.js';
export type { BloatEstimate, BloatReport } from './health/bloat.js';
export type { CacheHitRatio } from './health/cache.js';
export type { ConnectionsReport } from './health/connections.js';
export type { DuplicateIndex, InvalidIndex, MissingFkIndex, UnusedIndex } from './health/indexes.js';
export type { SeqScanHeavyTable } from './health/seq-scan.js';
export type { SequencesReport, SequenceUsage } from './health/sequences.js';
export type { WraparoundReport } from './health/wraparound.js';
export type { ActivityReport, SessionInfo } from './monitor/activity.js';
export type { Capabilities, ExtensionState } from './monitor/capabilities.js';
export type { SlowQueryEvent } from './monitor/slow-queries.js';
export type { StatementDelta, StatementSnapshot } from './monitor/snapshots.js';
export { diffStatementSnapshots, SnapshotStore } from './monitor/snapshots.js';
export type { StatementStats } from './monitor/statements.js';
export { statementColumns } from './monitor/statements.js';
export type {
  AdvisorSummary,
  OptimizerInput,
  PerformanceReport,
  QuerySummary,
  SlowQuery,
  SnapshotResult,
} from './optimizer.js';
export { DatabasePerformanceOptimizer } from './optimizer.js';
export type {
  AdvisorOptions,
  AnalysisOptions,
  DatabasePerformanceOptimizerOptions,
  HealthThresholds,
  SlowQueryThresholds,
} from './options.js';
export type { PgBouncerPool, PgBouncerSnapshot, PgBouncerStat } from './pgbouncer/admin.js';
export { readPgBouncerAdmin } from './pgbouncer/admin.js';
export type { PoolAdvice, PoolAdviceOptions } from './pgbouncer/advice.js';
export { advisePoolSizes } from './pgbouncer/advice.js';
export type {
  AuthType,
  PgBouncerConfigInput,
  PgBouncerDatabase,
  PgBouncerProfile,
  PgBouncerUser,
  PoolMode,
  RenderedPgBouncerConfig,
} from './pgbouncer/config.js';
export { PGBOUNCER_PROFILES, parseIniSection, renderPgBouncerConfig } from './pgbouncer/config.js';
export type { PgBouncerManagerOptions } from './pgbouncer/manager.js';
export { PgBouncerManager } from './pgbouncer/manager.js';
export { normalizeSql } from './sql/parser.js';
export type { StoredAnalysis } from './store/analysis-store.js';
