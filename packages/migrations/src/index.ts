// Public surface of @voicehive/db-migrations. Nothing else is API.

export { loadLintCatalog } from './lint/catalog.js';
export { formatFindingsHuman, formatFindingsJson, summarize as summarizeFindings } from './lint/format.js';
export { lintMigrations } from './lint/lint-migrations.js';

export { lintSql } from './lint/lint-sql.js';
export type { LintRule } from './lint/rule.js';
export { ALL_RULES as lintRules } from './lint/rules/index.js';
export type {
  LintCatalog,
  LintFinding,
  LintOptions,
  LintRuleOptions,
  MigrationSqlInput,
  Severity,
} from './lint/types.js';
export type {
  LintCallOptions,
  LintReport,
  MigrationPlan,
  MigrationPlanEntry,
  MigrationStatus,
  RollbackOptions,
  RollbackResult,
  RunMigrationOptions,
  RunMigrationResult,
  RunReport,
} from './manager.js';
export { DatabaseMigrationManager } from './manager.js';
export type { DatabaseMigrationManagerOptions } from './manager-options.js';
export { describeCopy, formatTestReportHuman } from './rehearsal/format-test-report.js';
export type { TracedLock, TracedStatement } from './rehearsal/lock-tracer.js';
export type { ProbeImpact } from './rehearsal/probe-load.js';
export type { SchemaDifference, SchemaSnapshot } from './rehearsal/schema-snapshot.js';
export { diffSchemaSnapshots, takeSchemaSnapshot } from './rehearsal/schema-snapshot.js';
export {
  AUTO_FULL_COPY_MAX_BYTES,
  AUTO_SAMPLE_ROWS,
  type ScratchCopy,
  type ScratchData,
} from './rehearsal/scratch-database.js';
export type { MigrationTestEntry, MigrationTestReport, TestMigrationsOptions } from './rehearsal/test-migrations.js';
export type { MigrationOutcome, StatementRecord } from './runner/apply.js';
export type { CaptureInfo } from './runner/capture-sql.js';
export type { UpfrontLock } from './runner/lock-first.js';
export { describeLockWait, type LockWaitSample } from './runner/lock-watch.js';
export type { AppliedMigration } from './runner/storage.js';
export { loadMigrations } from './sources/load-migrations.js';
export type { MigrationContext, MigrationFn, MigrationSource } from './sources/types.js';
