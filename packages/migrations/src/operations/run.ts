import { DbrsError } from '@voicehive/db-core';
import type { MigrationTestReport } from '../rehearsal/test-migrations.js';
import { type MigrationOutcome, planSqlStatements } from '../runner/apply.js';
import type { LockWaitSample } from '../runner/lock-watch.js';
import { BASELINE } from '../runner/storage.js';
import { createUmzug, unwrapUmzugError } from '../runner/umzug-runner.js';
import { assertRunnable, computeState } from '../runner/validate.js';
import type { MigrationSource } from '../sources/types.js';
import { applyOne } from './apply-one.js';
import type { LoadedState, OperationContext, RunHooks } from './context.js';
import { type LintReport, lintPending } from './lint.js';
import { selectPending, toDbrsError } from './pending.js';
import { withGlobalLock, withMigrationClient } from './sessions.js';
import { testPending } from './test.js';

export interface RunReport {
  lint?: LintReport;
  test?: MigrationTestReport;
  migrations: MigrationOutcome[];
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

/**
 * Before anything is applied: syntax of every pending SQL migration (up and
 * down), the lint (and failOnLintErrors), and the scratch-copy test when
 * asked for. Any of them stops the run with the database untouched.
 */
async function preflight(
  ctx: OperationContext,
  loaded: LoadedState,
  pending: MigrationSource[],
  options: RunMigrationOptions,
  report: RunReport,
): Promise<void> {
  for (const m of pending) {
    if (m.kind !== 'sql') continue;
    await planSqlStatements(m, 'up');
    await planSqlStatements(m, 'down');
  }
  report.lint = await lintPending(ctx, pending, options.signal);
  if (ctx.opts.failOnLintErrors && report.lint.summary.error > 0) {
    throw new DbrsError(
      'LINT_FAILED',
      `The migration linter found ${report.lint.summary.error} error(s) in the pending migrations.`,
      {
        hint: 'Fix them, or suppress one with "-- dbrs-lint-ignore <rule>: <why>".',
        details: { findings: report.lint.findings.filter((f) => f.severity === 'error') },
      },
    );
  }
  if (!(options.testFirst ?? ctx.opts.testFirst)) return;
  // Same files and applied list as the rest of this run: no second read.
  report.test = await testPending(
    ctx,
    loaded,
    {
      ...(options.targetRevision ? { targetRevision: options.targetRevision } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    options.onLockWait ? { onLockWait: options.onLockWait } : {},
  );
  if (!report.test.success) {
    throw new DbrsError(
      'MIGRATION_TEST_FAILED',
      `Migration test on a scratch copy failed; the database was not touched. ${report.test.errorMessage ?? ''}`.trim(),
      { details: { scratchDatabase: report.test.scratchDatabase } },
    );
  }
}

/**
 * The audit table exists before the first schema snapshot is taken. Otherwise
 * on a fresh database the first migration's audit entry creates it after that
 * migration's snapshot, and rolling back to it reports the audit table, its
 * sequence and trigger as unexpected (a failed rollback that reverted fine).
 * A failure here is the audit's to report (core's audit policy), not the run's.
 */
async function auditTableFirst(ctx: OperationContext): Promise<void> {
  try {
    await ctx.audit?.ensureTable();
  } catch (err) {
    ctx.logger.warn({ event: 'audit_table_unavailable', err }, 'audit table could not be created before the run');
  }
}

/** Under the global lock: re-reads the log (another runner may have applied some) and applies what is left. */
async function applyUnderLock(
  ctx: OperationContext,
  sources: MigrationSource[],
  options: RunMigrationOptions,
  out: { report: RunReport; applied: string[] },
): Promise<void> {
  await withGlobalLock(ctx, options.signal, async (signal) => {
    const fresh = computeState(sources, await ctx.storage.applied(ctx.db));
    assertRunnable(fresh, { allowOutOfOrder: ctx.opts.allowOutOfOrder });
    const todo = selectPending(fresh, options.targetRevision);
    if (todo.length === 0) return;
    await auditTableFirst(ctx);
    if (fresh.applied.length === 0) await ctx.storage.saveSnapshot(ctx.db, BASELINE, await ctx.snapshot(ctx.db));
    const hooks: RunHooks = { signal, ...(options.onLockWait ? { onLockWait: options.onLockWait } : {}) };
    await withMigrationClient(ctx, async (client) => {
      const umzug = await createUmzug(
        sources,
        async () => (await ctx.storage.applied(ctx.db)).map((a) => a.name),
        async (migration, direction) => {
          const outcome = await applyOne(ctx, { client, migration, direction, hooks }, out.report.migrations);
          out.applied.push(migration.name);
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
}

/** Applies pending migrations up to `targetRevision`. Never throws for migration failures: see `success`. */
export async function runMigration(
  ctx: OperationContext,
  options: RunMigrationOptions,
  /** The manager's lifecycle: CLOSED after close(), ABORTED for an aborted signal, initialises on first use. */
  ready: (signal: AbortSignal | undefined, what: string) => Promise<unknown>,
): Promise<RunMigrationResult> {
  const started = performance.now();
  const out = { report: { migrations: [] } as RunReport, applied: [] as string[] };
  const done = (error?: unknown): RunMigrationResult => {
    const durationMs = performance.now() - started;
    if (!error) return { success: true, applied: out.applied, durationMs, report: out.report };
    const e = toDbrsError(error);
    return { success: false, errorMessage: e.message, error: e, applied: out.applied, durationMs, report: out.report };
  };
  try {
    await ready(options.signal, 'migration run');
    const loaded = await ctx.state(options.signal);
    assertRunnable(loaded.state, { allowOutOfOrder: ctx.opts.allowOutOfOrder });
    const pending = selectPending(loaded.state, options.targetRevision);
    if (pending.length === 0) return done();
    await preflight(ctx, loaded, pending, options, out.report);
    await applyUnderLock(ctx, loaded.sources, options, out);
    return done();
  } catch (err) {
    ctx.logger.error({ event: 'migration_run_failed', err }, 'migration run failed');
    return done(err);
  }
}
