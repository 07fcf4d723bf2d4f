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
  /**
   * `schema.table` → the key columns of each valid index, in index order
   * ('' for an expression). When present, foreign keys added to existing
   * tables are checked for a supporting index (foreign-key-without-index).
   */
  indexes?: Record<string, string[][]>;
  /** `schema.table.column` mentioned by a CHECK constraint (alter-type-with-check-constraint). */
  checkedColumns?: string[];
  /** `schema.table.constraint` → pg_constraint.contype ('f' foreign key, 'c' check, 'p', 'u', 'x'). */
  constraints?: Record<string, string>;
  /** `schema.index` → its key columns ('' for an expression), for ADD PRIMARY KEY USING INDEX. */
  indexColumns?: Record<string, string[]>;
  /**
   * `schema.table.column` of every column with `attnotnull`. When present, a
   * column missing from it is known to be nullable (ADD PRIMARY KEY USING
   * INDEX then sets NOT NULL with a scan).
   */
  notNullColumns?: string[];
}

/**
 * Which rules run and the naming convention. Shared by lintSql,
 * lintMigrations and DatabaseMigrationManagerOptions.lint. An id that is not
 * a rule of `lintRules` is refused (DbrsError CONFIG_INVALID listing the valid
 * ids), so a typo never silently changes nothing.
 */
export interface LintRuleOptions {
  /** Rule ids to skip entirely. Default none. */
  disabledRules?: Iterable<string>;
  /** Opt-in rules to run (`require-table-schema`). Naming a rule that is on anyway is allowed. Default none. */
  enabledRules?: Iterable<string>;
  /**
   * Names of new tables, columns, indexes, constraints, types and schemas
   * must match this (naming-convention). A RegExp is used as given (anchor
   * it); a string is a RegExp source matched against the whole name, so
   * `'[a-z][a-z0-9_]*'` means `/^(?:[a-z][a-z0-9_]*)$/`. Default: lower snake
   * case, `/^[a-z_][a-z0-9_]*$/`, i.e. names that never need quoting.
   */
  namingPattern?: RegExp | string;
}

export interface LintOptions extends LintRuleOptions {
  /**
   * Target server version: a major (15), a `server_version_num` (150018) or
   * a string ('14.2'). Default 15. Several rules depend on it (fast defaults
   * from 11, SET NOT NULL via CHECK from 12, DETACH CONCURRENTLY from 14).
   */
  serverVersion?: number | string;
  /**
   * Whether the runner wraps the text in one transaction. When absent, the
   * text's own `-- dbrs:no-transaction` first line decides (as in a .sql
   * file), else true.
   */
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
  /**
   * The runner sets `statement_timeout` itself (the manager does when
   * `statementTimeoutMs` > 0). When false, statements that scan or rewrite an
   * existing table under a strong lock without a prior `SET statement_timeout`
   * are reported (require-statement-timeout). Default false.
   */
  statementTimeoutManaged?: boolean;
  /**
   * The session TimeZone the migration runs with. timestamp ↔ timestamptz is
   * a relabel (no rewrite) on PostgreSQL 12+ only when it is UTC; with any
   * other zone, or when it is not given (the default: unknown), the change is
   * reported — a warning when unknown, an error for a non-UTC zone.
   */
  timeZone?: string;
  /** Schema that unqualified names resolve to. Default 'public'. */
  defaultSchema?: string;
}

export interface MigrationSqlInput {
  name: string;
  sql: string;
  /**
   * Whether the runner wraps it in a transaction. When absent:
   * LintOptions.transactional, else the text's own `-- dbrs:no-transaction`
   * first line (as in a .sql file), else true.
   */
  transactional?: boolean;
}
