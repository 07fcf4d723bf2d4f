import { errorMessage, throwIfAborted } from '@voicehive/db-core';
import type { AppliedMigration } from '../runner/storage.js';
import { assertRunnable } from '../runner/validate.js';
import type { OperationContext } from './context.js';
import { selectPending } from './pending.js';

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

/** Applied (with checksum match), pending, current, mismatches, missing files, out-of-order. */
export async function readStatus(ctx: OperationContext, options: { signal?: AbortSignal }): Promise<MigrationStatus> {
  throwIfAborted(options.signal, 'migration status read');
  const { state } = await ctx.state(options.signal);
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

/** What runMigration would apply, and what would stop it. */
export async function planRun(
  ctx: OperationContext,
  options: { targetRevision?: string; signal?: AbortSignal },
): Promise<MigrationPlan> {
  throwIfAborted(options.signal, 'migration plan');
  const { state } = await ctx.state(options.signal);
  const blockers: string[] = [];
  try {
    assertRunnable(state, { allowOutOfOrder: ctx.opts.allowOutOfOrder });
  } catch (err) {
    blockers.push(errorMessage(err));
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
