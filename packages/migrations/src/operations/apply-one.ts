import { errorMessage, isDbrsError } from '@voicehive/db-core';
import type pg from 'pg';
import { type ApplyOptions, applyMigration, type Direction, type MigrationOutcome } from '../runner/apply.js';
import { globalLockGuard } from '../runner/lock-guard.js';
import type { MigrationSource } from '../sources/types.js';
import type { OperationContext, RunHooks } from './context.js';

/** The runner settings of one apply/revert, from the manager's options and this run's hooks. */
export function applyOptions(ctx: OperationContext, hooks: RunHooks = {}): ApplyOptions {
  const { opts } = ctx;
  return {
    storage: ctx.storage,
    lockTimeoutMs: opts.lockTimeoutMs,
    statementTimeoutMs: opts.statementTimeoutMs,
    maxLockRetries: opts.maxLockRetries,
    retryBaseMs: opts.retryBaseMs,
    retryMaxMs: opts.retryMaxMs,
    appliedBy: opts.actor,
    snapshot: (client: pg.ClientBase) => ctx.snapshot(client),
    cancel: (pid: number) => ctx.db.cancelBackend(pid),
    // Sampled well inside lock_timeout, so a timed-out wait has been seen (and its blocker named) at least once.
    watch: {
      db: ctx.db,
      intervalMs: Math.max(100, Math.min(1000, Math.floor((opts.lockTimeoutMs ?? 5000) / 3))),
      ...(hooks.onLockWait ? { onWait: hooks.onLockWait } : {}),
    },
    logger: ctx.logger,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  };
}

/**
 * Applies or reverts one migration on the migrating connection, under the
 * global lock (the commit guard refuses the commit on the server unless that
 * lock is still held), with metrics and an audit entry either way. The
 * outcome goes to `sink` also when it failed.
 */
export async function applyOne(
  ctx: OperationContext,
  step: { client: pg.Client; migration: MigrationSource; direction: Direction; hooks: RunHooks },
  sink: MigrationOutcome[],
): Promise<MigrationOutcome> {
  const { client, migration: m, direction } = step;
  const action = direction === 'up' ? 'migration.apply' : 'migration.rollback';
  ctx.logger.info(
    { event: direction === 'up' ? 'migration_applying' : 'migration_reverting', migration: m.name },
    `${direction} ${m.name}`,
  );
  try {
    const outcome = await applyMigration(client, m, direction, {
      ...applyOptions(ctx, step.hooks),
      commitGuard: () => globalLockGuard(ctx.lock),
    });
    sink.push(outcome);
    ctx.metrics?.observe(m.name, direction, 'success', outcome.durationMs);
    await ctx.audit?.record({
      actor: ctx.opts.actor,
      action,
      target: m.name,
      outcome: 'success',
      details: { durationMs: Math.round(outcome.durationMs), attempts: outcome.attempts },
    });
    return outcome;
  } catch (err) {
    const outcome = isDbrsError(err) ? (err.details['outcome'] as MigrationOutcome | undefined) : undefined;
    if (outcome) sink.push(outcome);
    ctx.metrics?.observe(m.name, direction, 'failure', outcome?.durationMs ?? 0);
    await ctx.audit
      ?.record({
        actor: ctx.opts.actor,
        action,
        target: m.name,
        outcome: 'failure',
        details: { error: errorMessage(err) },
      })
      .catch(() => {});
    throw err;
  }
}
