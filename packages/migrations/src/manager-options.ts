import type { AuditLog, Logger, Metrics } from '@voicehive/db-core';
import type { LintRuleOptions } from './lint/types.js';
import type { TestMigrationsOptions } from './rehearsal/test-migrations.js';

export interface DatabaseMigrationManagerOptions {
  /** Directory of `.sql`, `.ts`, `.js`, `.mjs` migrations (sorted by file name). Required. */
  migrationsDir: string;
  /** Log table. Default `'dbrs_migrations'` (snapshots go to `<tableName>_schema`). */
  tableName?: string;
  /** Schema of the log tables, created with them on the first run. Default `'dbrs'` (the suite's state schema). */
  schema?: string;
  /**
   * Where an older release kept the log: used, with a warning naming the move, while the log is only there
   * (a fresh log would make every applied migration pending again). Default `'public'` when `schema` is not
   * given, else none.
   */
  previousSchema?: string;
  /** `lock_timeout` for each migration (not for CONCURRENTLY statements), in ms. Default 5,000. */
  lockTimeoutMs?: number;
  /** `statement_timeout` for each migration (not for CONCURRENTLY statements), in ms. Default 0: none. */
  statementTimeoutMs?: number;
  /** How long to wait for another runner's global migration lock, in ms. Default 60,000. */
  lockWaitTimeoutMs?: number;
  /** Retries after a lock timeout (SQLSTATE 55P03). Default 5. */
  maxLockRetries?: number;
  /** First backoff after a lock timeout, in ms; doubles per retry with jitter. Default 500. */
  retryBaseMs?: number;
  /** Longest backoff, in ms. Default 10,000. */
  retryMaxMs?: number;
  /** Allow pending migrations that sort before applied ones. Default false. */
  allowOutOfOrder?: boolean;
  /** Default for runMigration's testFirst. Default false. */
  testFirst?: boolean;
  /** Options for the scratch-copy test used by testFirst. */
  testOptions?: Omit<TestMigrationsOptions, 'targetRevision' | 'signal'>;
  /**
   * Where lint() executes TS/JS migrations to record their SQL (always in a
   * transaction that is rolled back). 'prefer-scratch' (default): a
   * schema-only scratch copy (needs CREATEDB and pg_dump/psql, see
   * testOptions.binDir), falling back to the live database when the copy
   * cannot be made; 'live': always the live database (1 s lock_timeout,
   * 30 s statement_timeout). LintReport.capture says which was used.
   */
  lintCapture?: 'prefer-scratch' | 'live';
  /**
   * Which lint rules run and the naming convention, for every lint the manager
   * does (lint() and runMigration's report, hence failOnLintErrors):
   * `enabledRules` turns on opt-in rules, `disabledRules` turns rules off,
   * `namingPattern` (RegExp, or a string matched against the whole name) sets
   * the naming-convention rule's pattern. An unknown rule id or a bad pattern
   * throws DbrsError CONFIG_INVALID from the constructor. Default: no opt-in
   * rules, none disabled, lower snake case.
   */
  lint?: LintRuleOptions;
  /** Refuse to apply when the linter reports errors (suppress with `-- dbrs-lint-ignore`). Default false: report only. */
  failOnLintErrors?: boolean;
  /** Recorded as applied_by and audit actor. Default `<os user>@<host>`. */
  actor?: string;
  logger?: Logger;
  metrics?: Metrics;
  audit?: AuditLog;
}
