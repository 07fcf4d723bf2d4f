export type Severity = 'error' | 'warning' | 'info';

/** One problem found in one statement. `line` is 1-based in the linted text. */
export interface LintFinding {
  rule: string;
  severity: Severity;
  message: string;
  line: number;
  statement: string;
  /** Migration the statement belongs to (set by lintMigrations and the manager). */
  migration?: string;
}

/**
 * What the live database already guarantees, so the linter can accept
 * statements that are only safe because of an earlier, validated step.
 * Load it with `loadLintCatalog(db)`.
 */
export interface LintCatalog {
  /** `schema.table.column` (lower case) with a validated `CHECK (col IS NOT NULL)`. */
  notNullChecks: string[];
  /** `schema.table.column` → formatted type, e.g. `character varying(20)`. */
  columnTypes?: Record<string, string>;
  /** `schema.table` of tables that hold no rows (their locks are harmless). Optional. */
  emptyTables?: string[];
}

export interface LintOptions {
  /**
   * Target server version: a major (15), a `server_version_num` (150018) or
   * a string ('14.2'). Default 15. Several rules depend on it (fast defaults
   * from 11, SET NOT NULL via CHECK from 12, DETACH CONCURRENTLY from 14).
   */
  serverVersion?: number | string;
  /** Whether the runner wraps the text in one transaction. Default true. */
  transactional?: boolean;
  /** Tables (`table` or `schema.table`) created earlier in the same run: they count as new. */
  knownNewTables?: Iterable<string>;
  catalog?: LintCatalog;
  /**
   * The runner sets `lock_timeout` itself (the manager does). When false,
   * statements that take strong locks without a prior `SET lock_timeout`
   * are reported (require-lock-timeout). Default false.
   */
  lockTimeoutManaged?: boolean;
  /** Rule ids to skip entirely. Default none. */
  disabledRules?: Iterable<string>;
  /** Schema that unqualified names resolve to. Default 'public'. */
  defaultSchema?: string;
}

export interface MigrationSqlInput {
  name: string;
  sql: string;
  /** Default true. */
  transactional?: boolean;
}
