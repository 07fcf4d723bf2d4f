import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import {
  abortError,
  createDatabase,
  type Database,
  DbrsError,
  errorMessage,
  parseDatabaseUrl,
} from '@voicehive/db-core';
import { assertBackupId } from '../catalog/backup-id.js';
import type { BackupManifest } from '../catalog/manifest.js';
import { BackupType, type PgTool, type ProgressEvent, type ProgressStep } from '../kinds.js';
import { type PhysicalLayout, physicalLayout } from '../restore/combine.js';
import { type ObjectOpener, objectOpener } from '../restore/fetch.js';
import { restoreGlobals } from '../restore/globals.js';
import { logicalRestore, type RestoreProgress } from '../restore/logical-restore.js';
import { type ProvedBackup, proveBackup } from '../restore/prove.js';
import { assertRestorable, createDatabaseIfMissing, dropDatabase, siblingDatabase } from '../restore/target.js';
import { connectionEnv } from '../tools/connection-env.js';
import type { PointInTimeResult } from '../wal/point-in-time.js';
import type { RecoveryTarget } from '../wal/recovery-target.js';
import { type OperationContext, progressReporter, toolLocator } from './context.js';
import { restoreToPointInTime } from './point-in-time.js';

export interface RestoreOptions {
  /** A database URL to restore into (must exist). */
  targetUrl?: string | URL;
  /** A database on the backed-up server; created when missing. */
  targetDatabase?: string;
  /** Physical backups: directory to lay the data directory out in (must be empty or absent). */
  targetDirectory?: string;
  /** Drop and recreate objects in a non-empty target. Default false: refuse (TARGET_NOT_EMPTY). */
  clean?: boolean;
  /** pg_restore --jobs; >1 downloads to a temp file first. Default 1. */
  jobs?: number;
  /** Only these tables ("table" or "schema.table"). */
  tables?: string[];
  schemaOnly?: boolean;
  /** Keep object owners from the dump. Default true. */
  owners?: boolean;
  /**
   * Replay the backup's `pg_dumpall --globals-only` (roles, tablespaces) with
   * psql before pg_restore; roles that already exist are tolerated and
   * listed in the result. Note that, as with pg_dumpall, existing roles get
   * the backup's attributes and passwords. Needs a backup taken with
   * `globals: true` and a superuser on the target. Default false.
   */
  restoreGlobals?: boolean;
  /**
   * Point-in-time recovery (physical backups with archived WAL, into
   * targetDirectory): where replay stops. The backup id may then be
   * 'latest' (the newest base backup ending before the target is used).
   */
  recoveryTarget?: RecoveryTarget;
  /** With recoveryTarget: stop just after (true, default) or just before the target. */
  inclusive?: boolean;
  /** With recoveryTarget: open read-write at the target. Default: true with `start`, else pause there. */
  promote?: boolean;
  /** With recoveryTarget: start a private server now, replay, report the point reached. Default false. */
  start?: boolean;
  /** With recoveryTarget: restore_command written into the directory. Default `dbrs wal fetch "%f" "%p"`. */
  restoreCommand?: string;
  /** With recoveryTarget and start: how long replay may take, in ms. Default 3 600 000. */
  recoveryTimeoutMs?: number;
  /**
   * With recoveryTarget and start: called while the server is paused at the
   * target (read-only, before any promotion) with a connector to its
   * databases as the bootstrap superuser: check the data at that moment.
   */
  atTarget?: (connect: (database: string) => Database) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  onSpawn?: (info: { tool: PgTool; pid: number }) => void;
}

export interface RestoreResult {
  backupId: string;
  targetDatabase: string;
  durationMs: number;
  /** With restoreGlobals: the errors psql printed for roles/tablespaces that already existed. */
  globals?: { alreadyExisted: string[] };
  /** With recoveryTarget: the base backup used and, with start, the point recovery reached. */
  pointInTime?: PointInTimeResult & { baseBackupId: string };
}

/** One restore: what the stages below read. */
interface Restore {
  ctx: OperationContext;
  backupId: string;
  manifest: BackupManifest;
  opener: ObjectOpener;
  /** Physical: how the data directory is laid out (an incremental's chain combined); checked before any write. */
  layout: PhysicalLayout | undefined;
  options: RestoreOptions;
  toolPath: (tool: PgTool) => string;
  started: number;
  report: ReturnType<typeof progressReporter>;
  /** Reports the download phase's final count (the throttle may have held it back). */
  downloaded: () => void;
}

/** pg_restore's steps as 'restore' progress: bytes are the raw dump bytes it has taken (when streamed). */
function restoreProgress(report: Restore['report']) {
  const at: { step?: ProgressStep; items?: number; bytes: number } = { bytes: 0 };
  const detail = () => (at.step ? { step: at.step, items: at.items } : {});
  return {
    onProgress: (p: RestoreProgress) => {
      if (p.fedBytes !== undefined) at.bytes = p.fedBytes;
      if (p.step !== undefined) Object.assign(at, { step: p.step, items: p.items ?? 0 });
      // Bytes alone move only the data step (before it, pg_restore is reading the dump's table of contents).
      if (p.step !== undefined || at.step === 'data') report(at.bytes, false, detail());
    },
    /** The last step, complete: every object of it done. */
    finish: (rawBytes: number) => report(rawBytes, true, at.step ? { ...detail(), items: (at.items ?? 0) + 1 } : {}),
  };
}

/** Stages: check the request → find the manifest (an incremental's chain and pg_combinebackup checked) → restore into a directory (physical) or a database (logical). */
export async function restoreBackup(
  ctx: OperationContext,
  backupId: string,
  options: RestoreOptions,
): Promise<RestoreResult> {
  if (options.recoveryTarget !== undefined) {
    if (backupId !== 'latest') assertBackupId(backupId);
    const started = performance.now();
    const r = await restoreToPointInTime(ctx, backupId, { ...options, recoveryTarget: options.recoveryTarget });
    return {
      backupId: r.backupId,
      targetDatabase: r.targetDirectory,
      durationMs: Math.round(performance.now() - started),
      pointInTime: r.pointInTime,
    };
  }
  assertBackupId(backupId);
  const targets = [options.targetUrl, options.targetDatabase, options.targetDirectory].filter((t) => t !== undefined);
  if (targets.length !== 1) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      'restoreBackup needs exactly one of targetUrl, targetDatabase or targetDirectory.',
      {
        hint: 'Use targetDatabase for a database on this server (created when missing), targetUrl for another server, targetDirectory for a physical backup.',
      },
    );
  }
  const manifest = await ctx.catalog.find(backupId, { signal: options.signal });
  // 'download': the backup read and proved whole before the target is touched; then 'restore'.
  const download = progressReporter(ctx.logger, 'download', options.onProgress);
  // Bytes read per backup (an incremental's chain is read from several folders).
  const readOf = new Map<string, number>();
  const downloaded = () => [...readOf.values()].reduce((a, b) => a + b, 0);
  const openers = new Map<string, ObjectOpener>();
  const openerFor = (m: BackupManifest): ObjectOpener => {
    let opener = openers.get(m.backupId);
    if (!opener) {
      opener = objectOpener(ctx.catalog.storage, m, ctx.keyRing, (n) => {
        readOf.set(m.backupId, n);
        download(downloaded());
      });
      openers.set(m.backupId, opener);
    }
    return opener;
  };
  const toolPath = toolLocator(ctx.config, Math.floor(manifest.server.versionNum / 10_000));
  const run: Restore = {
    ctx,
    backupId,
    manifest,
    opener: openerFor(manifest),
    layout:
      manifest.type === BackupType.PHYSICAL
        ? await physicalLayout({
            manifest,
            find: (id) => ctx.catalog.find(id, { database: manifest.database, signal: options.signal }),
            openerFor,
            toolPath,
            tempDir: ctx.settings.tempDir ?? tmpdir(),
            action: 'restore',
            operation: 'restore',
          })
        : undefined,
    downloaded: () => download(downloaded(), true),
    options,
    toolPath,
    started: performance.now(),
    report: progressReporter(ctx.logger, 'restore', options.onProgress),
  };
  download(0, true);
  if (manifest.type === BackupType.PHYSICAL) return restorePhysical(run);
  if (options.targetDirectory) throw new DbrsError('INVALID_ARGUMENT', 'targetDirectory is only for physical backups.');
  return restoreLogical(run);
}

async function restorePhysical(run: Restore): Promise<RestoreResult> {
  const { ctx, manifest, options, backupId } = run;
  const targetDirectory = options.targetDirectory;
  if (!targetDirectory) {
    throw new DbrsError('INVALID_ARGUMENT', 'A physical backup restores into a directory: pass targetDirectory.');
  }
  if (options.restoreGlobals) {
    throw new DbrsError('INVALID_ARGUMENT', 'restoreGlobals is for logical backups.', {
      hint: 'A physical backup already holds the whole cluster, roles included.',
    });
  }
  const existing = await readdir(targetDirectory).catch(() => [] as string[]);
  if (existing.length > 0) {
    throw new DbrsError('TARGET_NOT_EMPTY', `Target directory ${targetDirectory} is not empty.`, {
      hint: 'Restore a physical backup into an empty directory, then start PostgreSQL on it.',
    });
  }
  const auditTarget = `${manifest.database}/${backupId}`;
  try {
    // Proved whole (every backup of a chain) before the directory is touched: tar extraction cannot be undone cleanly.
    await run.layout!.prove(options.signal);
    run.downloaded();
    await run.layout!.layOut(targetDirectory, options.signal);
  } catch (err) {
    await ctx.audit('backup.restore', auditTarget, 'failure', { message: errorMessage(err) });
    throw err;
  }
  const durationMs = Math.round(performance.now() - run.started);
  await ctx.audit('backup.restore', auditTarget, 'success', { targetDirectory });
  return { backupId, targetDatabase: targetDirectory, durationMs };
}

/** The target database: one on this server (created when missing, and then said so) or the one a URL names. */
async function openTarget(
  run: Restore,
): Promise<{ target: Database; targetName: string; env: NodeJS.ProcessEnv; created: boolean }> {
  const { ctx, options } = run;
  if (options.targetDatabase !== undefined) {
    const targetName = options.targetDatabase;
    const created = await createDatabaseIfMissing(ctx.db, targetName, options.signal);
    return { target: siblingDatabase(ctx.db, targetName), targetName, env: connectionEnv(ctx.db, targetName), created };
  }
  const url = String(options.targetUrl);
  const targetName = parseDatabaseUrl(url).database;
  const target = createDatabase(url, { poolMax: 2 });
  return { target, targetName, env: connectionEnv(target, targetName), created: false };
}

/** The request's own checks, before anything is read or touched. */
function checkLogicalRequest(options: RestoreOptions): number {
  if (options.targetDatabase !== undefined) {
    const name = options.targetDatabase;
    if (typeof name !== 'string' || name === '' || name.length > 63) {
      throw new DbrsError('INVALID_ARGUMENT', 'targetDatabase must be a database name of 1–63 characters.');
    }
  }
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new DbrsError('INVALID_ARGUMENT', `jobs must be 1–64, got ${jobs}.`);
  return jobs;
}

/**
 * Stages: prove the backup whole (nothing on the target exists yet) → open
 * or create the target → refuse a non-empty one → globals → pg_restore. A
 * database this restore created is dropped again when a later stage fails.
 */
async function restoreLogical(run: Restore): Promise<RestoreResult> {
  const { ctx, manifest, options, backupId, opener, toolPath } = run;
  const jobs = checkLogicalRequest(options);
  const auditTarget = `${manifest.database}/${backupId}`;
  const tempDir = ctx.settings.tempDir ?? tmpdir();
  const failed = async (err: unknown, targetName: string | undefined) => {
    const e = options.signal?.aborted ? abortError(options.signal, 'restore') : err;
    await ctx.audit('backup.restore', auditTarget, 'failure', {
      ...(targetName ? { targetDatabase: targetName } : {}),
      code: (e as DbrsError).code,
      message: errorMessage(e),
    });
    return e;
  };
  let proved: ProvedBackup;
  try {
    proved = await proveBackup({
      manifest,
      opener,
      jobs,
      globals: options.restoreGlobals ?? false,
      tempDir,
      signal: options.signal,
    });
  } catch (err) {
    throw await failed(err, options.targetDatabase);
  }
  run.downloaded();
  let opened: Awaited<ReturnType<typeof openTarget>> | undefined;
  const progress = restoreProgress(run.report);
  try {
    opened = await openTarget(run);
    const { target, targetName, env } = opened;
    await assertRestorable(target, options.clean ?? false, options.signal);
    // Before pg_restore, so ownership and grants in the dump find their roles.
    const globals = options.restoreGlobals
      ? await restoreGlobals({ manifest, opener, env, targetDatabase: targetName, toolPath, signal: options.signal })
      : undefined;
    await logicalRestore({
      manifest,
      opener,
      env,
      targetDatabase: targetName,
      toolPath,
      jobs,
      tables: options.tables,
      schemaOnly: options.schemaOnly,
      clean: options.clean,
      owners: options.owners,
      tempDir,
      localDump: proved.localDump,
      signal: options.signal,
      onSpawn: options.onSpawn,
      ...(options.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    const durationMs = Math.round(performance.now() - run.started);
    progress.finish(manifest.sizes.rawBytes);
    ctx.logger.info({ event: 'backup_restored', backupId, target: targetName, durationMs }, 'restore completed');
    await ctx.audit('backup.restore', auditTarget, 'success', {
      targetDatabase: targetName,
      durationMs,
      ...(globals ? { globals: true } : {}),
    });
    return { backupId, targetDatabase: targetName, durationMs, ...(globals ? { globals } : {}) };
  } catch (err) {
    await opened?.target.close().catch(() => {});
    if (opened?.created) await dropCreated(ctx, opened.targetName);
    throw await failed(err, opened?.targetName ?? options.targetDatabase);
  } finally {
    await opened?.target.close().catch(() => {});
    await proved.dispose();
  }
}

/**
 * Drops a database this restore created. Retried for a while: when the
 * failure was the server restarting, the drop has to wait for it to be back.
 * If it still fails, says so (the operator must drop it).
 */
async function dropCreated(ctx: OperationContext, name: string): Promise<void> {
  const deadline = Date.now() + DROP_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await dropDatabase(ctx.db, name);
      return;
    } catch (err) {
      if (Date.now() >= deadline) {
        ctx.logger.error(
          { event: 'restore_target_drop_failed', database: name, attempts: attempt, err },
          'could not drop the database this failed restore created; drop it by hand',
        );
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(2_000, 250 * attempt)));
    }
  }
}

/** How long a failed restore keeps trying to drop the database it created (a server restart takes seconds). */
const DROP_RETRY_MS = 60_000;
