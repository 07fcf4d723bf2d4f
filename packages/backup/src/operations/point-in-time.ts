import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type Database, DbrsError, errorMessage } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { type PhysicalLayout, physicalLayout } from '../restore/combine.js';
import { objectOpener } from '../restore/fetch.js';
import { chooseBaseBackup } from '../wal/choose-base.js';
import { parseLsn } from '../wal/names.js';
import { type PointInTimeResult, restoreToPoint } from '../wal/point-in-time.js';
import { type RecoveryTarget, resolveTarget } from '../wal/recovery-target.js';
import { findRestorePoint } from '../wal/restore-points.js';
import { type OperationContext, toolLocator } from './context.js';
import { getRecoveryWindow, physicalManifests } from './wal.js';

export interface PointInTimeRestoreOptions {
  targetDirectory?: string;
  recoveryTarget: RecoveryTarget;
  /** Stop just after the target (true) or just before it (false). Default true (PostgreSQL's default). */
  inclusive?: boolean;
  /** Open read-write at the target (new timeline). Default true with `start`, else false (pause there). */
  promote?: boolean;
  /** Start a private server now to replay to the target and report the point reached. Default false. */
  start?: boolean;
  /** restore_command written for the operator's own start. Default `dbrs wal fetch "%f" "%p"`. */
  restoreCommand?: string;
  /** How long replay may take with `start`, in ms. Default 3 600 000. */
  recoveryTimeoutMs?: number;
  atTarget?: (connect: (database: string) => Database) => Promise<void>;
  signal?: AbortSignal;
}

/** Stages: validate → window → pick the base backup (an incremental's chain is checked) → lay out + recovery settings (→ replay). */
export async function restoreToPointInTime(
  ctx: OperationContext,
  backupId: string,
  options: PointInTimeRestoreOptions,
): Promise<{ backupId: string; targetDirectory: string; pointInTime: PointInTimeResult & { baseBackupId: string } }> {
  const target = resolveTarget(options.recoveryTarget);
  const dir = options.targetDirectory;
  if (!dir) {
    throw new DbrsError('INVALID_ARGUMENT', 'A point-in-time restore needs targetDirectory (an empty directory).', {
      hint: 'Recovery replays WAL into a physical copy of the cluster: pass targetDirectory.',
    });
  }
  if ((await readdir(dir).catch(() => [] as string[])).length > 0) {
    throw new DbrsError('TARGET_NOT_EMPTY', `Target directory ${dir} is not empty.`, {
      hint: 'Restore into an empty (or missing) directory.',
    });
  }
  const targetLsn =
    target.kind === 'name'
      ? parseLsn((await findRestorePoint(ctx.storage, ctx.wal.prefix, target.name, options.signal)).lsn)
      : undefined;
  const window = await getRecoveryWindow(ctx, { signal: options.signal });
  const backups = await physicalManifests(ctx, options.signal);
  const choice = { requested: backupId, target, ...(targetLsn !== undefined ? { targetLsn } : {}), window };
  const manifest = chooseBaseBackup({ backups, ...choice });
  // An incremental is combined with its chain (pg_combinebackup 17); a broken chain or a missing tool refuses here.
  const layout = await baseLayout(
    ctx,
    manifest,
    () => fullAlternative(backups, { ...choice, requested: 'latest' }),
    options.signal,
  );
  const start = options.start ?? false;
  const auditTarget = `${manifest.database}/${manifest.backupId}`;
  try {
    const result = await restoreToPoint({
      manifest,
      layOut: layout.layOut,
      archive: ctx.wal,
      target,
      inclusive: options.inclusive ?? true,
      promote: options.promote ?? start,
      start,
      targetDirectory: dir,
      restoreCommand: options.restoreCommand ?? 'dbrs wal fetch "%f" "%p"',
      serverBinary: { explicit: ctx.config.toolPaths?.postgres, binDir: ctx.config.binDir },
      startTimeoutMs: options.recoveryTimeoutMs ?? 3_600_000,
      signal: options.signal,
      logger: ctx.logger,
      ...(options.atTarget ? { atTarget: options.atTarget } : {}),
    });
    ctx.logger.info(
      {
        event: 'backup_restored_to_point',
        backupId: manifest.backupId,
        reached: result.reached,
        recoveryMs: result.recoveryMs,
      },
      'point-in-time restore completed',
    );
    await ctx.audit('backup.restore', auditTarget, 'success', {
      targetDirectory: dir,
      recoveryTarget: options.recoveryTarget,
      ...(result.reached ? { reached: result.reached } : {}),
    });
    return {
      backupId: manifest.backupId,
      targetDirectory: dir,
      pointInTime: { ...result, baseBackupId: manifest.backupId },
    };
  } catch (err) {
    await ctx.audit('backup.restore', auditTarget, 'failure', {
      code: (err as DbrsError).code,
      message: errorMessage(err),
    });
    throw err;
  }
}

/** How the chosen base backup is laid out; for an incremental, `alternative` names a full one for a refusal's hint. */
function baseLayout(
  ctx: OperationContext,
  manifest: BackupManifest,
  alternative: () => string | undefined,
  signal: AbortSignal | undefined,
): Promise<PhysicalLayout> {
  const full = manifest.incremental ? alternative() : undefined;
  return physicalLayout({
    manifest,
    find: (id) => ctx.catalog.find(id, { database: manifest.database, signal }),
    openerFor: (m) => objectOpener(ctx.storage, m, ctx.keyRing),
    toolPath: toolLocator(ctx.config, Math.floor(manifest.server.versionNum / 10_000)),
    tempDir: ctx.settings.tempDir ?? tmpdir(),
    action: 'recover to a point from',
    operation: 'restore',
    ...(full ? { alternative: full } : {}),
  });
}

/**
 * The newest full physical backup that also serves the target (replaying
 * more WAL from it reaches the same point), for the refusal's hint; none
 * when no full backup ends before the target.
 */
function fullAlternative(
  backups: BackupManifest[],
  choice: Omit<Parameters<typeof chooseBaseBackup>[0], 'backups'>,
): string | undefined {
  try {
    return chooseBaseBackup({ backups: backups.filter((b) => !b.incremental), ...choice }).backupId;
  } catch {
    return undefined;
  }
}
