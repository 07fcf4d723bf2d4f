import { isDbrsError, throwIfAborted } from '@voicehive/db-core';
import { planRetention, type RetentionPlan } from '../retention/plan.js';
import type { AbandonedUpload, SweepOptions } from '../storage/types.js';
import { planWalRetention, type WalRetentionPlan } from '../wal/retention.js';
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
  /**
   * Uploads a killed process left invisible to listing (local `.dbrs-tmp-*`
   * files and orphan sidecars, S3 multipart uploads), started before the
   * grace period, removed (or that would be, with dryRun). See the README for
   * what each backend leaves and who removes it.
   */
  abandonedRemoved: AbandonedUpload[];
  /** Why abandoned uploads were not swept: the backend cannot list them (they expire or need a lifecycle rule). */
  abandonedNotSwept?: string;
  freedBytes: number;
  plan: RetentionPlan;
  /** Archived WAL: what retention removed (or would, with dryRun) and what the retained base backups need. */
  wal: WalCleanupResult;
}

export interface WalCleanupResult {
  /** WAL file names removed (or that would be, with dryRun): older than the oldest retained base backup. */
  removed: string[];
  /** How many archived files stay, and the span of names. */
  kept: { count: number; first?: string; last?: string };
  oldestBackupId?: string;
  /** First segment the oldest retained base backup needs: nothing from here on is ever removed. */
  neededFrom?: string;
  neededBy: WalRetentionPlan['neededBy'];
  freedBytes: number;
  reason?: string;
}

/**
 * Applies retention: deletes backups no rule keeps (never the newest, nor
 * the newest verified, of a database) and incomplete folders older than the
 * grace period. With dryRun nothing is deleted.
 */
export async function cleanupOldBackups(ctx: OperationContext, options: CleanupOptions): Promise<CleanupResult> {
  const now = options.now ?? new Date();
  const scan = await ctx.catalog.scan({ signal: options.signal });
  const plan = planRetention(
    scan.backups.map((m) => ({
      backupId: m.backupId,
      database: m.database,
      startedAt: new Date(m.startedAt),
      storedBytes: m.sizes.storedBytes,
      verified: m.verification?.ok === true,
      ...(m.incremental ? { parentBackupId: m.incremental.parentBackupId } : {}),
    })),
    scan.incomplete,
    {
      retentionDays: ctx.config.retentionDays,
      keepLast: ctx.config.keepLast,
      gfs: ctx.config.gfs,
      incompleteGraceMs: ctx.settings.incompleteGraceMs,
    },
    now,
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
  const keptIds = new Set(plan.keep.map((k) => k.backupId));
  const wal = await cleanupWal(
    ctx,
    scan.backups.filter((m) => keptIds.has(m.backupId)),
    dryRun,
    options.signal,
  );
  freedBytes += wal.freedBytes;
  const olderThan = new Date(now.getTime() - ctx.settings.incompleteGraceMs);
  const sweep = await sweepAbandoned(ctx, { olderThan, dryRun, signal: options.signal });
  freedBytes += sweep.removed.reduce((n, a) => n + (a.bytes ?? 0), 0);
  ctx.logger.info(
    {
      event: 'backup_cleanup',
      dryRun,
      deleted: deleted.length,
      incompleteRemoved: incompleteRemoved.length,
      abandonedRemoved: sweep.removed.length,
      walRemoved: wal.removed.length,
      freedBytes,
    },
    'retention applied',
  );
  return {
    dryRun,
    deleted,
    kept: plan.keep.map((k) => k.backupId),
    incompleteRemoved,
    abandonedRemoved: sweep.removed,
    ...(sweep.notSwept ? { abandonedNotSwept: sweep.notSwept } : {}),
    freedBytes,
    plan,
    wal,
  };
}

/** After the backups: WAL older than every retained base backup goes; WAL a retained one needs never does. */
async function cleanupWal(
  ctx: OperationContext,
  retained: Parameters<typeof planWalRetention>[1],
  dryRun: boolean,
  signal: AbortSignal | undefined,
): Promise<WalCleanupResult> {
  const p = planWalRetention(await ctx.wal.list({ signal }), retained);
  if (!dryRun && p.remove.length) {
    throwIfAborted(signal, 'cleanup');
    await ctx.wal.delete(
      p.remove.map((w) => w.name),
      signal,
    );
    await ctx.audit('backup.delete', `${ctx.wal.prefix}/`, 'success', {
      reason: 'WAL older than the oldest retained base backup',
      walFiles: p.remove.length,
      first: p.remove[0]!.name,
      last: p.remove.at(-1)!.name,
    });
  }
  return {
    removed: p.remove.map((w) => w.name),
    kept: { count: p.keep.length, ...(p.keep.length ? { first: p.keep[0]!.name, last: p.keep.at(-1)!.name } : {}) },
    ...(p.oldestBackupId ? { oldestBackupId: p.oldestBackupId } : {}),
    ...(p.neededFrom ? { neededFrom: p.neededFrom } : {}),
    neededBy: p.neededBy,
    freedBytes: p.remove.reduce((n, w) => n + w.storedBytes, 0),
    ...(p.reason ? { reason: p.reason } : {}),
  };
}

/**
 * After the folders: a killed put leaves objects the listing never shows.
 * Backends without a sweep (Azure, GCS: their leftovers expire by
 * themselves) or without the listing call (s3rver) are reported, not failed.
 */
async function sweepAbandoned(
  ctx: OperationContext,
  options: SweepOptions,
): Promise<{ removed: AbandonedUpload[]; notSwept?: string }> {
  const storage = ctx.catalog.storage;
  if (!storage.sweepAbandoned) {
    return { removed: [], notSwept: `${storage.kind} storage: abandoned uploads expire by themselves (see README)` };
  }
  try {
    const removed = await storage.sweepAbandoned(options);
    if (!options.dryRun) {
      for (const a of removed)
        await ctx.audit('backup.delete', a.key, 'success', { reason: 'abandoned upload', startedAt: a.startedAt });
    }
    return { removed };
  } catch (err) {
    if (!isDbrsError(err, 'UNSUPPORTED')) throw err;
    ctx.logger.warn({ event: 'backup_sweep_unsupported', err }, 'the storage cannot list abandoned uploads');
    return { removed: [], notSwept: err.message };
  }
}
