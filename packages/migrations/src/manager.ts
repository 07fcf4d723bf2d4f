import { hostname, userInfo } from 'node:os';
import {
  type AuditLog,
  type Database,
  type DatabaseInput,
  DbrsError,
  DEFAULT_STATE_SCHEMA,
  getServerVersion,
  isDbrsError,
  LeaderLock,
  type Logger,
  PREVIOUS_STATE_SCHEMA,
  resolveDatabase,
  silentLogger,
  throwIfAborted,
} from '@voicehive/db-core';
import pg from 'pg';
import { loadLintCatalog } from './lint/catalog.js';
import { summarize } from './lint/format.js';
import { lintMigrations } from './lint/lint-migrations.js';
import {
  mergeLintRuleOptions,
  type NormalizedLintRuleOptions,
  normalizeLintRuleOptions,
} from './lint/rule-selection.js';
import type { LintCatalog, LintFinding, LintRuleOptions } from './lint/types.js';
import type { DatabaseMigrationManagerOptions } from './manager-options.js';
import { createMigrationMetrics, type MigrationMetrics } from './metrics.js';
import { applyMigration, type Direction, type MigrationOutcome, planSqlStatements } from './runner/apply.js';
import { type CaptureInfo, captureMigrationSql } from './runner/capture-sql.js';
import { globalLockGuard } from './runner/lock-guard.js';
import type { LockWaitSample } from './runner/lock-watch.js';
import { type AppliedMigration, BASELINE, MigrationStorage } from './runner/storage.js';
import { createUmzug, unwrapUmzugError } from './runner/umzug-runner.js';
import { assertRunnable, computeState, type MigrationState } from './runner/validate.js';
import { loadMigrations } from './sources/load-migrations.js';
import type { MigrationSource } from './sources/types.js';
import {
  describeDifferences,
  diffSnapshots,
  type SchemaDifference,
  takeSchemaSnapshot,
} from './testing/schema-snapshot.js';
import { type MigrationTestReport, runMigrationTests, type TestMigrationsOptions } from './testing/test-migrations.js';

export interface MigrationStatus {
  applied: Array<AppliedMigration & { checksumMatches: boolean | null }>;
  pending: string[];
  /** Last applied migration, or null. */
  current: string | null;
  checksumMismatches: string[];
  missingFiles: string[];
  outOfOrder: string[];
}

export interface MigrationPlanEntry {
  name: string;
  kind: 'sql' | 'module';
  transactional: boolean;
  irreversible: boolean;
}

export interface MigrationPlan {
  direction: 'up';
  migrations: MigrationPlanEntry[];
  /** Problems that would stop runMigration (checksum, order), as messages. */
  blockers: string[];
}

export interface LintReport {
  findings: LintFinding[];
  summary: Record<'error' | 'warning' | 'info', number>;
  /** TS/JS migrations whose SQL could not be captured fully. */
  captureErrors: Array<{ migration: string; error: string }>;
  /** Where TS/JS migrations were executed to capture their SQL (a scratch copy, or the live database rolled back). */
  capture: CaptureInfo;
}

export interface RunReport {
  lint?: LintReport;
  test?: MigrationTestReport;
  migrations: MigrationOutcome[];
}

export interface LintCallOptions {
  /** `'head'` (default) or the last pending migration to lint. */
  targetRevision?: string;
  /** Rule selection for this call, on top of the manager's `lint` option. Default none. */
  overrides?: LintRuleOptions;
  signal?: AbortSignal;
}

export interface RunMigrationOptions {
  /** `'head'` (default) or the name of the last migration to apply. */
  targetRevision?: string;
  /** Test on a scratch copy first (see testMigrations). Default: the manager's testFirst option. */
  testFirst?: boolean;
  signal?: AbortSignal;
  /** Called with every lock-wait sample while a migration of this run waits (see README "Lock waits are visible"). */
  onLockWait?: (wait: LockWaitSample) => void;
}

export interface RunMigrationResult {
  success: boolean;
  errorMessage?: string;
  /** The DbrsError behind errorMessage (code, details). */
  error?: DbrsError;
  applied: string[];
  durationMs: number;
  report: RunReport;
}

export interface RollbackOptions {
  /** Roll back until this migration is the last applied (it stays applied); 0 rolls back everything. */
  to?: string | 0;
  /** Number of migrations to roll back. Default 1 when `to` is not given. */
  step?: number;
  signal?: AbortSignal;
}

export interface RollbackResult {
  success: boolean;
  errorMessage?: string;
  error?: DbrsError;
  reverted: string[];
  durationMs: number;
  migrations: MigrationOutcome[];
  /** Schema after the downs compared with the snapshot recorded when the new head was applied. */
  schemaCheck: { checked: boolean; against: string | null; matches: boolean; differences: SchemaDifference[] };
}

/**
 * Applies, tests, lints and rolls back migrations for one database.
 * `db` is a core Database (not closed by us), a pg.Pool or a URL (closed on close()).
 */
export class DatabaseMigrationManager implements AsyncDisposable {
  readonly #db: Database;
  readonly #ownsDb: boolean;
  readonly #opts: Required<
    Pick<
      DatabaseMigrationManagerOptions,
      | 'tableName'
      | 'schema'
      | 'lockTimeoutMs'
      | 'statementTimeoutMs'
      | 'lockWaitTimeoutMs'
      | 'maxLockRetries'
      | 'retryBaseMs'
      | 'retryMaxMs'
      | 'allowOutOfOrder'
      | 'testFirst'
      | 'failOnLintErrors'
      | 'actor'
    >
  > &
    DatabaseMigrationManagerOptions;
  readonly #storage: MigrationStorage;
  readonly #lintRules: NormalizedLintRuleOptions;
  readonly #logger: Logger;
  readonly #metrics: MigrationMetrics | undefined;
  readonly #audit: AuditLog | undefined;
  #lock: LeaderLock;
  readonly #previousSchema: string | undefined;
  #initialized: Promise<void> | undefined;
  #closed = false;

  constructor(db: DatabaseInput | URL, options: DatabaseMigrationManagerOptions) {
    if (!options || typeof options.migrationsDir !== 'string' || options.migrationsDir === '') {
      throw new DbrsError('INVALID_ARGUMENT', 'DatabaseMigrationManager needs options.migrationsDir.', {
        hint: "Pass { migrationsDir: './migrations' }.",
      });
    }
    for (const key of [
      'lockTimeoutMs',
      'statementTimeoutMs',
      'lockWaitTimeoutMs',
      'maxLockRetries',
      'retryBaseMs',
      'retryMaxMs',
    ] as const) {
      const v = options[key];
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
        throw new DbrsError('INVALID_ARGUMENT', `options.${key} must be a non-negative number, got ${String(v)}.`);
      }
    }
    // Before the pool is made, so a typo in a rule id fails without anything to close.
    this.#lintRules = normalizeLintRuleOptions(options.lint, 'lint.');
    const resolved = resolveDatabase(
      db instanceof URL ? db.href : db,
      options.logger ? { logger: options.logger } : {},
    );
    this.#db = resolved.database;
    this.#ownsDb = resolved.owned;
    this.#opts = {
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
    this.#storage = new MigrationStorage(this.#opts.schema, this.#opts.tableName);
    this.#previousSchema = options.previousSchema ?? (options.schema === undefined ? PREVIOUS_STATE_SCHEMA : undefined);
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'migrations' });
    this.#metrics = options.metrics ? createMigrationMetrics(options.metrics) : undefined;
    this.#audit = options.audit;
    this.#lock = this.#globalLock();
  }

  /** Named after the log's location, so runners of an older release that log to the same table exclude this one. */
  #globalLock(): LeaderLock {
    return new LeaderLock(this.#db, {
      name: `dbrs-migrations:${this.#storage.schema}.${this.#opts.tableName}`,
      pollIntervalMs: 100,
      // Runs are rare: no idle session kept for the life of the process between them.
      keepSession: false,
      logger: this.#logger,
    });
  }

  /** Finds the log tables (a catalog read: they are created by the first run) and loads the migrations. Idempotent. */
  async initialize(): Promise<void> {
    await this.#initialize();
  }

  /**
   * Initializes once. Returns the migrations it loaded when this call did the
   * initializing, so the operation that triggered it need not load them again;
   * undefined when initialization had already happened (or was under way).
   */
  async #initialize(): Promise<MigrationSource[] | undefined> {
    this.#assertOpen();
    if (this.#initialized) {
      await this.#initialized;
      return undefined;
    }
    const loading = (async () => {
      const moveSql = await this.#storage.locate(this.#db, this.#previousSchema);
      if (moveSql) {
        // The lock was named after the configured location; it is not held yet, so it can be renamed.
        this.#lock = this.#globalLock();
        this.#logger.warn(
          {
            event: 'state_table_previous_location',
            table: this.#opts.tableName,
            schema: this.#storage.schema,
            sql: moveSql,
          },
          `the migration log is still in schema ${this.#storage.schema}; move it (with no runner active) with: ${moveSql}`,
        );
      }
      return loadMigrations(this.#opts.migrationsDir);
    })();
    this.#initialized = loading.then(
      () => {},
      (err) => {
        this.#initialized = undefined;
        throw err;
      },
    );
    // The caller gets the error through `loading`; concurrent waiters through #initialized.
    this.#initialized.catch(() => {});
    return loading;
  }

  async status(options: { signal?: AbortSignal } = {}): Promise<MigrationStatus> {
    throwIfAborted(options.signal, 'migration status read');
    const { state } = await this.#state();
    const mismatched = new Set(state.checksumMismatches.map((c) => c.name));
    const missing = new Set(state.missingFiles);
    return {
      applied: state.applied.map((a) => ({
        ...a,
        checksumMatches: missing.has(a.name) ? null : !mismatched.has(a.name),
      })),
      pending: state.pending.map((p) => p.name),
      current: state.applied.at(-1)?.name ?? null,
      checksumMismatches: [...mismatched],
      missingFiles: state.missingFiles,
      outOfOrder: state.outOfOrder,
    };
  }

  async plan(options: { targetRevision?: string; signal?: AbortSignal } = {}): Promise<MigrationPlan> {
    throwIfAborted(options.signal, 'migration plan');
    const { state } = await this.#state();
    const blockers: string[] = [];
    try {
      assertRunnable(state, { allowOutOfOrder: this.#opts.allowOutOfOrder });
    } catch (err) {
      blockers.push((err as Error).message);
    }
    return {
      direction: 'up',
      migrations: selectPending(state, options.targetRevision).map((m) => ({
        name: m.name,
        kind: m.kind,
        transactional: m.transactional,
        irreversible: m.irreversible,
      })),
      blockers,
    };
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
      ? mergeLintRuleOptions(this.#lintRules, normalizeLintRuleOptions(options.overrides))
      : this.#lintRules;
    const { state } = await this.#state();
    return this.#lintPending(selectPending(state, options.targetRevision), options.signal, rules);
  }

  /** Tests pending migrations on a scratch copy (up, down, up with lock tracing); the real database is not changed. */
  async testMigrations(options: TestMigrationsOptions = {}): Promise<MigrationTestReport> {
    return this.#testPending(await this.#state(), options);
  }

  async #testPending(
    { sources, state }: { sources: MigrationSource[]; state: MigrationState },
    options: TestMigrationsOptions,
  ): Promise<MigrationTestReport> {
    const pending = selectPending(state, options.targetRevision);
    return runMigrationTests(this.#db, sources, pending, {
      ...this.#opts.testOptions,
      ...options,
      storage: this.#storage,
      apply: this.#applyOptions(options.signal),
      logger: this.#logger,
    });
  }

  /** Applies pending migrations up to `targetRevision`. Never throws for migration failures: see `success`. */
  async runMigration(options: RunMigrationOptions = {}): Promise<RunMigrationResult> {
    // Runs are serialised by the global lock, so one field carries this run's listener to #applyOptions.
    this.#onLockWait = options.onLockWait;
    const started = performance.now();
    const report: RunReport = { migrations: [] };
    const applied: string[] = [];
    const done = (error?: unknown): RunMigrationResult => {
      const durationMs = performance.now() - started;
      if (!error) return { success: true, applied, durationMs, report };
      const e = toDbrsError(error);
      return { success: false, errorMessage: e.message, error: e, applied, durationMs, report };
    };
    try {
      this.#assertOpen();
      throwIfAborted(options.signal, 'migration run');
      const loaded = await this.#state();
      const { sources, state } = loaded;
      assertRunnable(state, { allowOutOfOrder: this.#opts.allowOutOfOrder });
      const pending = selectPending(state, options.targetRevision);
      if (pending.length === 0) return done();
      // Syntax errors anywhere (up or down) stop the run before anything is applied.
      for (const m of pending) {
        if (m.kind !== 'sql') continue;
        await planSqlStatements(m, 'up');
        await planSqlStatements(m, 'down');
      }
      report.lint = await this.#lintPending(pending, options.signal);
      if (this.#opts.failOnLintErrors && report.lint.summary.error > 0) {
        throw new DbrsError(
          'LINT_FAILED',
          `The migration linter found ${report.lint.summary.error} error(s) in the pending migrations.`,
          {
            hint: 'Fix them, or suppress one with "-- dbrs-lint-ignore <rule>: <why>".',
            details: { findings: report.lint.findings.filter((f) => f.severity === 'error') },
          },
        );
      }
      if (options.testFirst ?? this.#opts.testFirst) {
        // Same files and applied list as the rest of this run: no second read.
        report.test = await this.#testPending(loaded, {
          ...(options.targetRevision ? { targetRevision: options.targetRevision } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (!report.test.success) {
          throw new DbrsError(
            'MIGRATION_TEST_FAILED',
            `Migration test on a scratch copy failed; the database was not touched. ${report.test.errorMessage ?? ''}`.trim(),
            {
              details: { scratchDatabase: report.test.scratchDatabase },
            },
          );
        }
      }
      await this.#withGlobalLock(options.signal, async (signal) => {
        // Another runner may have applied some while we waited for the lock.
        const fresh = computeState(sources, await this.#storage.applied(this.#db));
        assertRunnable(fresh, { allowOutOfOrder: this.#opts.allowOutOfOrder });
        const todo = selectPending(fresh, options.targetRevision);
        if (todo.length === 0) return;
        if (fresh.applied.length === 0)
          await this.#storage.saveSnapshot(this.#db, BASELINE, await this.#snapshot(this.#db));
        await this.#withMigrationClient(async (client) => {
          const umzug = createUmzug(
            sources,
            async () => (await this.#storage.applied(this.#db)).map((a) => a.name),
            async (m, direction) => {
              const outcome = await this.#applyOne(client, m, direction, signal, report.migrations);
              applied.push(m.name);
              return outcome;
            },
          );
          try {
            await umzug.up({ migrations: todo.map((m) => m.name) });
          } catch (err) {
            throw unwrapUmzugError(err);
          }
        });
      });
      return done();
    } catch (err) {
      this.#logger.error({ event: 'migration_run_failed', err }, 'migration run failed');
      return done(err);
    }
  }

  /** Runs downs (newest first) under the global lock, then checks the schema against the recorded snapshot. */
  async rollback(options: RollbackOptions = {}): Promise<RollbackResult> {
    const started = performance.now();
    const result: RollbackResult = {
      success: false,
      reverted: [],
      durationMs: 0,
      migrations: [],
      schemaCheck: { checked: false, against: null, matches: false, differences: [] },
    };
    try {
      this.#assertOpen();
      // The applied list is read under the lock below; only the files are needed here.
      const sources = await this.#sources();
      const bySource = new Map(sources.map((s) => [s.name, s]));
      await this.#withGlobalLock(options.signal, async (signal) => {
        const applied = (await this.#storage.applied(this.#db)).map((a) => a.name);
        let targets: string[];
        if (options.to !== undefined) {
          if (options.to === 0) targets = [...applied].reverse();
          else {
            const idx = applied.indexOf(options.to);
            if (idx < 0)
              throw new DbrsError(
                'NOT_FOUND',
                `Migration ${options.to} is not applied, so it cannot be the rollback target.`,
                { hint: 'Use status() to list applied migrations.' },
              );
            targets = applied.slice(idx + 1).reverse();
          }
        } else {
          const step = options.step ?? 1;
          if (!Number.isInteger(step) || step < 1)
            throw new DbrsError(
              'INVALID_ARGUMENT',
              `rollback step must be a positive integer, got ${String(options.step)}.`,
            );
          targets = applied.slice(-step).reverse();
        }
        for (const name of targets) {
          if (!bySource.has(name)) {
            throw new DbrsError(
              'NOT_FOUND',
              `Migration ${name} is applied but its file is missing, so it cannot be rolled back.`,
              { hint: 'Restore the file from version control.' },
            );
          }
          if (bySource.get(name)!.irreversible) {
            throw new DbrsError(
              'MIGRATION_IRREVERSIBLE',
              `Migration ${name} is irreversible; nothing was rolled back.`,
              { hint: 'Choose a rollback target after it.' },
            );
          }
        }
        await this.#withMigrationClient(async (client) => {
          const umzug = createUmzug(
            sources,
            async () => (await this.#storage.applied(this.#db)).map((a) => a.name),
            async (m, direction) => {
              const outcome = await this.#applyOne(client, m, direction, signal, result.migrations);
              result.reverted.push(m.name);
              return outcome;
            },
          );
          try {
            if (targets.length) await umzug.down({ migrations: targets });
          } catch (err) {
            throw unwrapUmzugError(err);
          }
        });
        const remaining = (await this.#storage.applied(this.#db)).map((a) => a.name);
        const head = remaining.at(-1) ?? BASELINE;
        const expected = await this.#storage.snapshot(this.#db, head);
        result.schemaCheck.against = head === BASELINE ? null : head;
        if (expected) {
          const differences = diffSnapshots(expected, await this.#snapshot(this.#db));
          result.schemaCheck = {
            checked: true,
            against: head === BASELINE ? null : head,
            matches: differences.length === 0,
            differences,
          };
          if (differences.length) {
            throw new DbrsError(
              'INTEGRITY_FAILED',
              `After rollback the schema does not match the snapshot recorded for ${head === BASELINE ? 'the state before the first migration' : head}: ${describeDifferences(differences)}.`,
              {
                hint: 'A down migration does not undo its up exactly; fix the down and repair the schema by hand.',
                details: { differences },
              },
            );
          }
        }
      });
      result.success = true;
    } catch (err) {
      const e = toDbrsError(err);
      result.error = e;
      result.errorMessage = e.message;
    }
    result.durationMs = performance.now() - started;
    return result;
  }

  /** Accepts the current file of an applied migration whose checksum changed on purpose. */
  async repair(
    name: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ name: string; previousChecksum: string; checksum: string }> {
    let out: { name: string; previousChecksum: string; checksum: string } | undefined;
    // Under the global lock: a run in progress must not see its recorded checksums change underneath it.
    await this.#withGlobalLock(options.signal, async () => {
      out = await this.#repairUnlocked(name);
    });
    return out!;
  }

  async #repairUnlocked(name: string): Promise<{ name: string; previousChecksum: string; checksum: string }> {
    const { sources, state } = await this.#state();
    const source = sources.find((s) => s.name === name);
    const row = state.applied.find((a) => a.name === name);
    if (!source || !row) {
      throw new DbrsError(
        'NOT_FOUND',
        `Migration ${name} is not ${row ? 'in the migrations directory' : 'applied'}; repair only accepts changed files of applied migrations.`,
        {
          hint: 'Check the name with status().',
        },
      );
    }
    await this.#storage.updateChecksum(this.#db, name, source.checksum);
    await this.#audit?.record({
      actor: this.#opts.actor,
      action: 'migration.repair',
      target: name,
      outcome: 'success',
      details: { previousChecksum: row.checksum, checksum: source.checksum },
    });
    this.#logger.warn({ event: 'migration_repaired', migration: name }, 'accepted changed migration checksum');
    return { name, previousChecksum: row.checksum, checksum: source.checksum };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lock.close();
    if (this.#ownsDb) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- internals ---

  #assertOpen(): void {
    if (this.#closed) throw new DbrsError('CLOSED', 'The migration manager is closed.');
  }

  /**
   * Files and applied list as of now. Called once per public operation: files
   * may change between operations in a long-lived process, so nothing is
   * cached across them, but the first operation reuses what initialize loaded.
   */
  async #state(): Promise<{ sources: MigrationSource[]; state: MigrationState }> {
    const sources = await this.#sources();
    const applied = await this.#storage.applied(this.#db);
    return { sources, state: computeState(sources, applied) };
  }

  async #sources(): Promise<MigrationSource[]> {
    return (await this.#initialize()) ?? (await loadMigrations(this.#opts.migrationsDir));
  }

  #snapshot(db: { query: Database['query'] } | pg.ClientBase) {
    return takeSchemaSnapshot(db as never, {
      excludeTables: [
        `${this.#opts.schema}.${this.#opts.tableName}`,
        `${this.#opts.schema}.${this.#opts.tableName}_schema`,
      ],
    });
  }

  #onLockWait: ((wait: LockWaitSample) => void) | undefined;

  #applyOptions(signal?: AbortSignal) {
    return {
      storage: this.#storage,
      lockTimeoutMs: this.#opts.lockTimeoutMs,
      statementTimeoutMs: this.#opts.statementTimeoutMs,
      maxLockRetries: this.#opts.maxLockRetries,
      retryBaseMs: this.#opts.retryBaseMs,
      retryMaxMs: this.#opts.retryMaxMs,
      appliedBy: this.#opts.actor,
      snapshot: (client: pg.ClientBase) => this.#snapshot(client),
      cancel: (pid: number) => this.#db.cancelBackend(pid),
      // Sampled well inside lock_timeout, so a timed-out wait has been seen (and its blocker named) at least once.
      watch: {
        db: this.#db,
        intervalMs: Math.max(100, Math.min(1000, Math.floor((this.#opts.lockTimeoutMs ?? 5000) / 3))),
        ...(this.#onLockWait ? { onWait: this.#onLockWait } : {}),
      },
      logger: this.#logger,
      ...(signal ? { signal } : {}),
    };
  }

  async #applyOne(
    client: pg.Client,
    m: MigrationSource,
    direction: Direction,
    signal: AbortSignal | undefined,
    sink: MigrationOutcome[],
  ): Promise<MigrationOutcome> {
    const action = direction === 'up' ? 'migration.apply' : 'migration.rollback';
    this.#logger.info(
      { event: direction === 'up' ? 'migration_applying' : 'migration_reverting', migration: m.name },
      `${direction} ${m.name}`,
    );
    try {
      // Runs under #withGlobalLock: the commit is refused on the server unless that lock is still held.
      const outcome = await applyMigration(client, m, direction, {
        ...this.#applyOptions(signal),
        commitGuard: () => globalLockGuard(this.#lock),
      });
      sink.push(outcome);
      this.#metrics?.observe(m.name, direction, 'success', outcome.durationMs);
      await this.#audit?.record({
        actor: this.#opts.actor,
        action,
        target: m.name,
        outcome: 'success',
        details: { durationMs: Math.round(outcome.durationMs), attempts: outcome.attempts },
      });
      return outcome;
    } catch (err) {
      const outcome = isDbrsError(err) ? (err.details['outcome'] as MigrationOutcome | undefined) : undefined;
      if (outcome) sink.push(outcome);
      this.#metrics?.observe(m.name, direction, 'failure', outcome?.durationMs ?? 0);
      await this.#audit
        ?.record({
          actor: this.#opts.actor,
          action,
          target: m.name,
          outcome: 'failure',
          details: { error: (err as Error).message },
        })
        .catch(() => {});
      throw err;
    }
  }

  /**
   * Holds the global migration lock around `fn`. If the lock's session dies
   * (server restart, network), the signal handed to `fn` aborts: without the
   * lock another runner may start, so this one must stop.
   */
  async #withGlobalLock(signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
    await this.#lock.acquireOrThrow({ timeoutMs: this.#opts.lockWaitTimeoutMs, ...(signal ? { signal } : {}) });
    // The first write creates the log tables; under the lock, so two first runs do not race.
    await this.#storage.ensure(this.#db).catch(async (err: unknown) => {
      await this.#lock.release();
      throw err;
    });
    const lost = new AbortController();
    const onLost = (err: Error) =>
      lost.abort(
        new DbrsError('LOCK_NOT_ACQUIRED', 'The global migration lock was lost with its session; the run stopped.', {
          cause: err,
        }),
      );
    this.#lock.on('lost', onLost);
    try {
      await fn(signal ? AbortSignal.any([signal, lost.signal]) : lost.signal);
    } finally {
      this.#lock.off('lost', onLost);
      await this.#lock.release();
    }
  }

  async #withMigrationClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(this.#db.clientConfig({ application_name: 'voicehive-dbrs-migrate' }));
    client.on('error', (err) =>
      this.#logger.warn({ event: 'migration_client_error', err }, 'migration connection error'),
    );
    await client.connect();
    // PG14+: notice a vanished runner during a long statement instead of finishing it as a zombie holding locks.
    await client.query("SET client_connection_check_interval = '1s'").catch(() => {});
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async #lintPending(
    pending: MigrationSource[],
    signal?: AbortSignal,
    rules: NormalizedLintRuleOptions = this.#lintRules,
  ): Promise<LintReport> {
    throwIfAborted(signal, 'lint');
    const [version, timeZone, catalog, { migrations: captured, capture }] = await Promise.all([
      getServerVersion(this.#db),
      // The migrating session connects with the same settings, so it sees the same TimeZone (timestamp ↔ timestamptz).
      this.#db
        .query<{ tz: string }>(`SELECT current_setting('TimeZone') AS tz`, [], signal ? { signal } : {})
        .then((r) => r.rows[0]?.tz)
        .catch(() => undefined),
      loadLintCatalog(this.#db, signal ? { signal } : {}).catch((err): LintCatalog => {
        this.#logger.warn({ event: 'lint_catalog_unavailable', err }, 'linting without the live catalog');
        return { notNullChecks: [] };
      }),
      captureMigrationSql(this.#db, pending, {
        target: this.#opts.lintCapture ?? 'prefer-scratch',
        ...(this.#opts.testOptions?.binDir ? { binDir: this.#opts.testOptions.binDir } : {}),
        ...(signal ? { signal } : {}),
      }),
    ]);
    if (capture.scratchError) {
      this.#logger.warn(
        { event: 'lint_capture_live', reason: capture.scratchError },
        'no scratch copy for the lint capture; executed the TS/JS migrations on the live database, rolled back',
      );
    }
    const findings = await lintMigrations(captured, {
      serverVersion: version.num,
      catalog,
      lockTimeoutManaged: true,
      statementTimeoutManaged: (this.#opts.statementTimeoutMs ?? 0) > 0,
      ...(timeZone ? { timeZone } : {}),
      defaultSchema: this.#opts.schema,
      ...rules,
    });
    return {
      findings,
      summary: summarize(findings),
      captureErrors: captured.filter((c) => c.captureError).map((c) => ({ migration: c.name, error: c.captureError! })),
      capture,
    };
  }
}

function selectPending(state: MigrationState, target: string | undefined): MigrationSource[] {
  if (!target || target === 'head') return state.pending;
  const idx = state.pending.findIndex((p) => p.name === target);
  if (idx < 0) {
    if (state.applied.some((a) => a.name === target)) return [];
    throw new DbrsError('NOT_FOUND', `No pending migration is named ${target}.`, {
      hint: "Use 'head' or a name from status().pending.",
    });
  }
  return state.pending.slice(0, idx + 1);
}

function toDbrsError(err: unknown): DbrsError {
  if (isDbrsError(err)) return err;
  return new DbrsError('MIGRATION_FAILED', (err as Error)?.message ?? String(err), { cause: err });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
