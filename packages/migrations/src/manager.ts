import { hostname, userInfo } from 'node:os';
import {
  type Database,
  type DatabaseInput,
  DbrsError,
  DEFAULT_STATE_SCHEMA,
  LeaderLock,
  Lifecycle,
  type Logger,
  PREVIOUS_STATE_SCHEMA,
  type Queryable,
  resolveDatabase,
  silentLogger,
} from '@voicehive/db-core';
import { stripUndefined } from '@voicehive/db-core/internal';
import { mergeLintRuleOptions, normalizeLintRuleOptions } from './lint/rule-selection.js';
import type { DatabaseMigrationManagerOptions } from './manager-options.js';
import { createMigrationMetrics } from './metrics.js';
import type { LoadedState, OperationContext, ResolvedManagerOptions } from './operations/context.js';
import { type LintCallOptions, type LintReport, lintPending } from './operations/lint.js';
import { selectPending } from './operations/pending.js';
import { type RepairResult, repair } from './operations/repair.js';
import { type RollbackOptions, type RollbackResult, rollback } from './operations/rollback.js';
import { type RunMigrationOptions, type RunMigrationResult, runMigration } from './operations/run.js';
import { type MigrationPlan, type MigrationStatus, planRun, readStatus } from './operations/status.js';
import { testPending } from './operations/test.js';
import { takeSchemaSnapshot } from './rehearsal/schema-snapshot.js';
import type { MigrationTestReport, TestMigrationsOptions } from './rehearsal/test-migrations.js';
import { MigrationStorage } from './runner/storage.js';
import { computeState } from './runner/validate.js';
import { loadMigrations } from './sources/load-migrations.js';
import type { MigrationSource } from './sources/types.js';

export type { LintCallOptions, LintReport } from './operations/lint.js';
export type { RollbackOptions, RollbackResult } from './operations/rollback.js';
export type { RunMigrationOptions, RunMigrationResult, RunReport } from './operations/run.js';
export type { MigrationPlan, MigrationPlanEntry, MigrationStatus } from './operations/status.js';

const NON_NEGATIVE = [
  'lockTimeoutMs',
  'statementTimeoutMs',
  'lockWaitTimeoutMs',
  'maxLockRetries',
  'retryBaseMs',
  'retryMaxMs',
] as const;

/** Bad input is refused before a pool exists, so nothing needs closing. */
function validateOptions(options: DatabaseMigrationManagerOptions): void {
  if (!options || typeof options.migrationsDir !== 'string' || options.migrationsDir === '') {
    throw new DbrsError('INVALID_ARGUMENT', 'DatabaseMigrationManager needs options.migrationsDir.', {
      hint: "Pass { migrationsDir: './migrations' }.",
    });
  }
  for (const key of NON_NEGATIVE) {
    const v = options[key];
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
      throw new DbrsError('INVALID_ARGUMENT', `options.${key} must be a non-negative number, got ${String(v)}.`);
    }
  }
}

function resolveOptions(options: DatabaseMigrationManagerOptions): ResolvedManagerOptions {
  return {
    tableName: 'dbrs_migrations',
    schema: DEFAULT_STATE_SCHEMA,
    lockTimeoutMs: 5000,
    statementTimeoutMs: 0,
    lockWaitTimeoutMs: 60_000,
    maxLockRetries: 5,
    retryBaseMs: 500,
    retryMaxMs: 10_000,
    allowOutOfOrder: false,
    testFirst: false,
    failOnLintErrors: false,
    actor: `${safeUser()}@${hostname()}`,
    ...stripUndefined(options),
    migrationsDir: options.migrationsDir,
  };
}

/**
 * Applies, tests, lints and rolls back migrations for one database.
 * `db` is a core Database (not closed by us), a pg.Pool or a URL (closed on close()).
 * Each public method is one operation in `operations/`; the manager owns the
 * resources they share (pool, lock session) and the initialisation.
 */
export class DatabaseMigrationManager implements AsyncDisposable {
  readonly #db: Database;
  readonly #ownsDb: boolean;
  readonly #ctx: OperationContext;
  readonly #previousSchema: string | undefined;
  /** The files the initialisation loaded, handed to the operation that triggered it (then dropped). */
  #preloaded: MigrationSource[] | undefined;
  // The shared lifecycle kit (core): memoised, retried initialise with a signal; CLOSED after close().
  readonly #life = new Lifecycle({
    name: 'migration manager',
    init: () => this.#initialize(),
    dispose: () => this.#release(),
  });

  constructor(db: DatabaseInput | URL, options: DatabaseMigrationManagerOptions) {
    validateOptions(options);
    // Before the pool is made, so a typo in a rule id fails without anything to close.
    const lintRules = normalizeLintRuleOptions(options.lint, 'lint.');
    const resolved = resolveDatabase(
      db instanceof URL ? db.href : db,
      options.logger ? { logger: options.logger } : {},
    );
    this.#db = resolved.database;
    this.#ownsDb = resolved.owned;
    const opts = resolveOptions(options);
    const logger = (options.logger ?? silentLogger()).child({ component: 'migrations' });
    const exclude = [`${opts.schema}.${opts.tableName}`, `${opts.schema}.${opts.tableName}_schema`];
    const storage = new MigrationStorage(opts.schema, opts.tableName);
    this.#previousSchema = options.previousSchema ?? (options.schema === undefined ? PREVIOUS_STATE_SCHEMA : undefined);
    this.#ctx = {
      db: this.#db,
      opts,
      storage,
      lintRules,
      logger,
      metrics: options.metrics ? createMigrationMetrics(options.metrics) : undefined,
      audit: options.audit,
      lock: globalLock(this.#db, storage, logger),
      state: (signal) => this.#state(signal),
      sources: () => this.#sources(),
      snapshot: (target) => takeSchemaSnapshot(target as never, { excludeTables: exclude }),
    };
  }

  /**
   * Finds the log tables (a catalog read: they are created by the first run) and loads the migrations.
   * Optional: every method initialises on first use. Idempotent; a failed attempt is retried by the next call.
   */
  async initialize(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#life.initialize(options);
    // Files are read again by each operation; only one that triggered the initialisation reuses its load.
    this.#preloaded = undefined;
  }

  async status(options: { signal?: AbortSignal } = {}): Promise<MigrationStatus> {
    await this.#life.ready(options.signal);
    return readStatus(this.#ctx, options);
  }

  async plan(options: { targetRevision?: string; signal?: AbortSignal } = {}): Promise<MigrationPlan> {
    await this.#life.ready(options.signal);
    return planRun(this.#ctx, options);
  }

  /**
   * Lints the pending migrations as one sequence, with the live catalog and
   * server version, under the manager's `lint` options. `overrides` apply on
   * top for this call: a rule it enables is also taken off the disabled list
   * and the other way round; its namingPattern replaces the manager's.
   */
  async lint(options: LintCallOptions = {}): Promise<LintReport> {
    // Validated before any I/O: a misspelt rule id is a usage error, not a half-done lint.
    const rules = options.overrides
      ? mergeLintRuleOptions(this.#ctx.lintRules, normalizeLintRuleOptions(options.overrides))
      : this.#ctx.lintRules;
    await this.#life.ready(options.signal);
    const { state } = await this.#state(options.signal);
    return lintPending(this.#ctx, selectPending(state, options.targetRevision), options.signal, rules);
  }

  /** Tests pending migrations on a scratch copy (up, down, up with lock tracing); the real database is not changed. */
  async testMigrations(options: TestMigrationsOptions = {}): Promise<MigrationTestReport> {
    await this.#life.ready(options.signal);
    return testPending(this.#ctx, await this.#state(options.signal), options);
  }

  /** Applies pending migrations up to `targetRevision`. Never throws for migration failures: see `success`. */
  async runMigration(options: RunMigrationOptions = {}): Promise<RunMigrationResult> {
    return runMigration(this.#ctx, options, (signal, what) => this.#life.ready(signal, what));
  }

  /** Runs downs (newest first) under the global lock, then checks the schema against the recorded snapshot. */
  async rollback(options: RollbackOptions = {}): Promise<RollbackResult> {
    return rollback(this.#ctx, options, (signal, what) => this.#life.ready(signal, what));
  }

  /** Accepts the current file of an applied migration whose checksum changed on purpose. */
  async repair(name: string, options: { signal?: AbortSignal } = {}): Promise<RepairResult> {
    await this.#life.ready(options.signal);
    return repair(this.#ctx, name, options);
  }

  /** Idempotent; waits for an initialisation in flight. Any use afterwards is CLOSED. */
  close(): Promise<void> {
    return this.#life.close();
  }

  async #release(): Promise<void> {
    await this.#ctx.lock.close();
    if (this.#ownsDb) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs once (the Lifecycle memoises it): finds the log and loads the files, kept for the triggering operation. */
  async #initialize(): Promise<void> {
    await this.#locateLog();
    this.#preloaded = await loadMigrations(this.#ctx.opts.migrationsDir);
  }

  /** Finds the log; while it is only where an older release kept it, uses it there and says how to move it. */
  async #locateLog(): Promise<void> {
    const { storage, opts, logger } = this.#ctx;
    const moveSql = await storage.locate(this.#db, this.#previousSchema);
    if (!moveSql) return;
    // The lock was named after the configured location; it is not held yet, so it can be renamed.
    this.#ctx.lock = globalLock(this.#db, storage, logger);
    logger.warn(
      { event: 'state_table_previous_location', table: opts.tableName, schema: storage.schema, sql: moveSql },
      `the migration log is still in schema ${storage.schema}; move it (with no runner active) with: ${moveSql}`,
    );
  }

  /**
   * Files and applied list as of now. Called once per public operation: files
   * may change between operations in a long-lived process, so nothing is
   * cached across them, but the first operation reuses what initialize loaded.
   */
  async #state(signal?: AbortSignal): Promise<LoadedState> {
    const sources = await this.#sources();
    const db = this.#db;
    // The read is cancelled on the server on abort (Database.query with a signal).
    const reader = signal
      ? { query: ((text, values) => db.query(text, values, { signal })) as Queryable['query'] }
      : db;
    const applied = await this.#ctx.storage.applied(reader);
    return { sources, state: computeState(sources, applied) };
  }

  async #sources(): Promise<MigrationSource[]> {
    // Public methods have initialised already; this keeps CLOSED for an operation that outlives close().
    await this.#life.ready();
    const preloaded = this.#preloaded;
    this.#preloaded = undefined;
    return preloaded ?? (await loadMigrations(this.#ctx.opts.migrationsDir));
  }
}

/** Named after the log's location, so runners of an older release that log to the same table exclude this one. */
function globalLock(db: Database, storage: MigrationStorage, logger: Logger): LeaderLock {
  return new LeaderLock(db, {
    name: `dbrs-migrations:${storage.schema}.${storage.tableName}`,
    pollIntervalMs: 100,
    // Runs are rare: no idle session kept for the life of the process between them.
    keepSession: false,
    logger,
  });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
