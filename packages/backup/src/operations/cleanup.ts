import { throwIfAborted } from '@voicehive/db-core';
import { planRetention, type RetentionPlan } from '../retention/plan.js';
import type { OperationContext } from './context.js';

export interface CleanupOptions {
  /** Only report what would be deleted. Default false. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Clock for the retention plan. Default now. */
  now?: Date;
}

export interface CleanupResult {
  dryRun: boolean;
  /** Backup ids deleted (or that would be, with dryRun). */
  deleted: string[];
  kept: string[];
  /** Incomplete backup folders removed (past the grace period). */
  incompleteRemoved: string[];
  freedBytes: number;
  plan: RetentionPlan;
}

/**
 * Applies retention: deletes backups no rule keeps (never the newest, nor
 * the newest verified, of a database) and incomplete folders older than the
 * grace period. With dryRun nothing is deleted.
 */
export async function cleanupOldBackups(ctx: OperationContext, options: CleanupOptions): Promise<CleanupResult> {
  const scan = await ctx.catalog.scan({ signal: options.signal });
  const plan = planRetention(
    scan.backups.map((m) => ({
      backupId: m.backupId,
      database: m.database,
      startedAt: new Date(m.startedAt),
      storedBytes: m.sizes.storedBytes,
      verified: m.verification?.ok === true,
    })),
    scan.incomplete,
    {
      retentionDays: ctx.config.retentionDays,
      keepLast: ctx.config.keepLast,
      gfs: ctx.config.gfs,
      incompleteGraceMs: ctx.settings.incompleteGraceMs,
    },
    options.now ?? new Date(),
  );
  const dryRun = options.dryRun ?? false;
  let freedBytes = 0;
  const deleted: string[] = [];
  const incompleteRemoved: string[] = [];
  for (const d of plan.delete) {
    if (!dryRun) {
      throwIfAborted(options.signal, 'cleanup');
      freedBytes += await ctx.catalog.deleteFolder(d.database, d.backupId, options.signal);
      await ctx.audit('backup.delete', `${d.database}/${d.backupId}`, 'success', { reason: 'retention' });
    } else freedBytes += d.storedBytes;
    deleted.push(d.backupId);
  }
  for (const inc of plan.incomplete) {
    if (!dryRun) {
      freedBytes += await ctx.catalog.deleteFolder(inc.database, inc.backupId, options.signal);
      await ctx.audit('backup.delete', `${inc.database}/${inc.backupId}`, 'success', { reason: 'incomplete' });
    } else freedBytes += inc.bytes;
    incompleteRemoved.push(inc.backupId);
  }
  ctx.logger.info(
    {
      event: 'backup_cleanup',
      dryRun,
      deleted: deleted.length,
      incompleteRemoved: incompleteRemoved.length,
      freedBytes,
    },
    'retention applied',
  );
  return { dryRun, deleted, kept: plan.keep.map((k) => k.backupId), incompleteRemoved, freedBytes, plan };
}
