import { DbrsError, isDbrsError } from '@voicehive/db-core';
import type { MigrationState } from '../runner/validate.js';
import type { MigrationSource } from '../sources/types.js';

/** The pending migrations up to and including `target` (`'head'` or undefined: all). */
export function selectPending(state: MigrationState, target: string | undefined): MigrationSource[] {
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

/** Any failure as a DbrsError (results carry one, never a bare Error). */
export function toDbrsError(err: unknown): DbrsError {
  if (isDbrsError(err)) return err;
  return new DbrsError('MIGRATION_FAILED', (err as Error)?.message ?? String(err), { cause: err });
}
