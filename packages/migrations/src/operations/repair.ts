import { DbrsError } from '@voicehive/db-core';
import type { OperationContext } from './context.js';
import { withGlobalLock } from './sessions.js';

export interface RepairResult {
  name: string;
  previousChecksum: string;
  checksum: string;
}

async function repairUnlocked(ctx: OperationContext, name: string): Promise<RepairResult> {
  const { sources, state } = await ctx.state();
  const source = sources.find((s) => s.name === name);
  const row = state.applied.find((a) => a.name === name);
  if (!source || !row) {
    throw new DbrsError(
      'NOT_FOUND',
      `Migration ${name} is not ${row ? 'in the migrations directory' : 'applied'}; repair only accepts changed files of applied migrations.`,
      { hint: 'Check the name with status().' },
    );
  }
  await ctx.storage.updateChecksum(ctx.db, name, source.checksum);
  await ctx.audit?.record({
    actor: ctx.opts.actor,
    action: 'migration.repair',
    target: name,
    outcome: 'success',
    details: { previousChecksum: row.checksum, checksum: source.checksum },
  });
  ctx.logger.warn({ event: 'migration_repaired', migration: name }, 'accepted changed migration checksum');
  return { name, previousChecksum: row.checksum, checksum: source.checksum };
}

/** Accepts the current file of an applied migration whose checksum changed on purpose. */
export async function repair(
  ctx: OperationContext,
  name: string,
  options: { signal?: AbortSignal },
): Promise<RepairResult> {
  let out: RepairResult | undefined;
  // Under the global lock: a run in progress must not see its recorded checksums change underneath it.
  await withGlobalLock(ctx, options.signal, async () => {
    out = await repairUnlocked(ctx, name);
  });
  return out!;
}
