import { DbrsError } from '@voicehive/db-core';
import { describeDifferences, diffSchemaSnapshots, type SchemaDifference } from '../rehearsal/schema-snapshot.js';
import type { MigrationOutcome } from '../runner/apply.js';
import { BASELINE } from '../runner/storage.js';
import { createUmzug, unwrapUmzugError } from '../runner/umzug-runner.js';
import type { MigrationSource } from '../sources/types.js';
import { applyOne } from './apply-one.js';
import type { OperationContext } from './context.js';
import { toDbrsError } from './pending.js';
import { withGlobalLock, withMigrationClient } from './sessions.js';

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

/** The applied migrations to revert, newest first, from `to` or `step`. */
function rollbackTargets(applied: string[], options: RollbackOptions): string[] {
  if (options.to === 0) return [...applied].reverse();
  if (options.to !== undefined) {
    const idx = applied.indexOf(options.to);
    if (idx < 0)
      throw new DbrsError('NOT_FOUND', `Migration ${options.to} is not applied, so it cannot be the rollback target.`, {
        hint: 'Use status() to list applied migrations.',
      });
    return applied.slice(idx + 1).reverse();
  }
  const step = options.step ?? 1;
  if (!Number.isInteger(step) || step < 1)
    throw new DbrsError('INVALID_ARGUMENT', `rollback step must be a positive integer, got ${String(options.step)}.`);
  return applied.slice(-step).reverse();
}

/** Every target has its file and a down; otherwise nothing is rolled back. */
function assertRevertible(targets: string[], bySource: Map<string, MigrationSource>): void {
  for (const name of targets) {
    const source = bySource.get(name);
    if (!source) {
      throw new DbrsError(
        'NOT_FOUND',
        `Migration ${name} is applied but its file is missing, so it cannot be rolled back.`,
        { hint: 'Restore the file from version control.' },
      );
    }
    if (source.irreversible) {
      throw new DbrsError('MIGRATION_IRREVERSIBLE', `Migration ${name} is irreversible; nothing was rolled back.`, {
        hint: 'Choose a rollback target after it.',
      });
    }
  }
}

/** Compares the schema now with the snapshot recorded for the new head; a difference is INTEGRITY_FAILED. */
async function checkSchema(ctx: OperationContext, result: RollbackResult): Promise<void> {
  const remaining = (await ctx.storage.applied(ctx.db)).map((a) => a.name);
  const head = remaining.at(-1) ?? BASELINE;
  const expected = await ctx.storage.snapshot(ctx.db, head);
  const against = head === BASELINE ? null : head;
  result.schemaCheck.against = against;
  if (!expected) return;
  const differences = diffSchemaSnapshots(expected, await ctx.snapshot(ctx.db));
  result.schemaCheck = { checked: true, against, matches: differences.length === 0, differences };
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

/** Runs downs (newest first) under the global lock, then checks the schema against the recorded snapshot. */
export async function rollback(
  ctx: OperationContext,
  options: RollbackOptions,
  /** The manager's lifecycle: CLOSED after close(), ABORTED for an aborted signal, initialises on first use. */
  ready: (signal: AbortSignal | undefined, what: string) => Promise<unknown>,
): Promise<RollbackResult> {
  const started = performance.now();
  const result: RollbackResult = {
    success: false,
    reverted: [],
    durationMs: 0,
    migrations: [],
    schemaCheck: { checked: false, against: null, matches: false, differences: [] },
  };
  try {
    await ready(options.signal, 'rollback');
    // The applied list is read under the lock below; only the files are needed here.
    const sources = await ctx.sources();
    const bySource = new Map(sources.map((s) => [s.name, s]));
    await withGlobalLock(ctx, options.signal, async (signal) => {
      const targets = rollbackTargets(
        (await ctx.storage.applied(ctx.db)).map((a) => a.name),
        options,
      );
      assertRevertible(targets, bySource);
      await withMigrationClient(ctx, async (client) => {
        const umzug = await createUmzug(
          sources,
          async () => (await ctx.storage.applied(ctx.db)).map((a) => a.name),
          async (migration, direction) => {
            const outcome = await applyOne(ctx, { client, migration, direction, hooks: { signal } }, result.migrations);
            result.reverted.push(migration.name);
            return outcome;
          },
        );
        try {
          if (targets.length) await umzug.down({ migrations: targets });
        } catch (err) {
          throw unwrapUmzugError(err);
        }
      });
      await checkSchema(ctx, result);
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
