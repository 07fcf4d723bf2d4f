import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  abortError,
  type Database,
  DbrsError,
  getServerVersion,
  isDbrsError,
  LeaderLock,
  type Logger,
  type ServerVersion,
  throwIfAborted,
} from '@voicehive/db-core';
import { newBackupId } from '../catalog/backup-id.js';
import { type BackupManifest, MANIFEST_FORMAT } from '../catalog/manifest.js';
import type { DumpContext, DumpOutcome } from '../dump/context.js';
import {
  assertIncrementalPossible,
  decideParent,
  type FullBecause,
  summariesMissing,
} from '../dump/incremental-gate.js';
import { logicalDump } from '../dump/logical.js';
import { physicalBackup } from '../dump/physical.js';
import { BackupType, type PgTool } from '../kinds.js';
import { COMPRESSION_SUFFIX } from '../pipeline/compression.js';
import { writeObject } from '../pipeline/object-io.js';
import { objectOpener } from '../restore/fetch.js';
import { databaseExists, siblingDatabase } from '../restore/target.js';
import { connectionEnv } from '../tools/connection-env.js';
import { assertToolVersion, toolVersion } from '../tools/pg-tools.js';
import type { BackupResult, CreateBackupOptions } from '../types.js';
import { type OperationContext, progressReporter, toolLocator } from './context.js';

/** One backup run: what every stage below reads. */
interface Run {
  ctx: OperationContext;
  options: CreateBackupOptions;
  database: string;
  type: BackupType;
  backupId: string;
  startedAt: Date;
  started: number;
  log: Logger;
  /** An incremental was asked for and a full backup is taken: why (set by findParent). */
  fullBecause?: { reason: FullBecause; message: string };
}

/** The server side of a run, found once the lock is held. */
interface Source {
  target: Database;
  server: ServerVersion;
  mainTool: PgTool;
  mainVersion: { major: number; text: string };
  toolPath: (tool: PgTool) => string;
  /** Incremental: the backup taken against (its backup_manifest goes to pg_basebackup --incremental). */
  parent?: BackupManifest;
}

/**
 * Stages: validate → lock → open the database and check tool versions →
 * dump through the pipeline into the folder → write the manifest (last:
 * its presence is what makes the folder a backup) → metrics and audit.
 * Any failure removes what was written and releases the lock.
 */
export async function createBackup(
  ctx: OperationContext,
  database: string | undefined,
  options: CreateBackupOptions,
): Promise<BackupResult> {
  const run = startRun(ctx, database, options);
  const lock = new LeaderLock(ctx.db, { name: `backup:${run.database}`, logger: ctx.logger });
  let owned: Database | undefined;
  const written = { any: false };
  try {
    await lock.acquireOrThrow({ timeoutMs: ctx.settings.lockTimeoutMs, signal: options.signal });
    const source = await openSource(run);
    if (source.target !== ctx.db) owned = source.target;
    run.log.info({ event: 'backup_started', storage: ctx.catalog.storage.location }, 'backup started');
    const { outcome, finish } = await dump(run, source, written);
    finish();
    throwIfAborted(options.signal, 'backup');
    const manifest = buildManifest(run, source, outcome);
    progressReporter(ctx.logger, 'manifest', options.onProgress)(0, true);
    await ctx.catalog.writeManifest(manifest, options.signal);
    return await recordSuccess(run, manifest);
  } catch (caught) {
    throw await recordFailure(run, caught, written.any);
  } finally {
    await lock.close().catch(() => {});
    await owned?.close().catch(() => {});
  }
}

function startRun(ctx: OperationContext, database: string | undefined, options: CreateBackupOptions): Run {
  const dbName = database ?? ctx.db.info.database;
  if (typeof dbName !== 'string' || dbName === '') {
    throw new DbrsError('INVALID_ARGUMENT', 'createBackup needs a database name.', {
      hint: 'Pass the name, or connect to it.',
    });
  }
  const type = options.type ?? ctx.settings.backupType;
  if (type !== BackupType.LOGICAL && type !== BackupType.PHYSICAL) {
    throw new DbrsError('INVALID_ARGUMENT', `Unknown backup type "${String(type)}".`, {
      hint: "Use 'logical' or 'physical'.",
    });
  }
  if (options.incremental && type !== BackupType.PHYSICAL) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      'An incremental backup is a physical backup; a logical dump cannot be one.',
      {
        hint: "Pass type 'physical' with incremental, or drop incremental for a logical dump.",
      },
    );
  }
  throwIfAborted(options.signal, 'backup');
  const started = performance.now();
  const startedAt = new Date();
  const backupId = newBackupId(startedAt);
  const log = ctx.logger.child({ backupId, database: dbName, type });
  return { ctx, options, database: dbName, type, backupId, startedAt, started, log };
}

/** The database to dump (the manager's own, or a sibling on the same server) and tools matching its version. */
async function openSource(run: Run): Promise<Source> {
  const { ctx, options, database } = run;
  let target: Database;
  if (database === ctx.db.info.database) target = ctx.db;
  else {
    if (!(await databaseExists(ctx.db, database, options.signal))) {
      throw new DbrsError(
        'NOT_FOUND',
        `Database "${database}" does not exist on ${ctx.db.info.host}:${ctx.db.info.port}.`,
        {
          hint: 'Check the name (SELECT datname FROM pg_database).',
          details: { database },
        },
      );
    }
    target = siblingDatabase(ctx.db, database);
  }
  try {
    const server = await getServerVersion(target);
    // Before the tool check: below 17 the answer is "take a full backup", not "install pg_basebackup 17".
    if (options.incremental) await assertIncrementalPossible(target, server);
    const mainTool: PgTool = run.type === BackupType.LOGICAL ? 'pg_dump' : 'pg_basebackup';
    const toolPath = toolLocator(ctx.config, server.major);
    const mainVersion = await toolVersion(toolPath(mainTool), mainTool);
    assertToolVersion(mainTool, mainVersion, server.major, server.text);
    if (options.globals)
      assertToolVersion(
        'pg_dumpall',
        await toolVersion(toolPath('pg_dumpall'), 'pg_dumpall'),
        server.major,
        server.text,
      );
    const parent = options.incremental ? await findParent(run, target) : undefined;
    return { target, server, mainTool, mainVersion, toolPath, ...(parent ? { parent } : {}) };
  } catch (err) {
    if (target !== ctx.db) await target.close().catch(() => {});
    throw err;
  }
}

/**
 * The parent of an incremental: the newest usable physical backup of this
 * cluster in this database's folder, unless its chain already holds
 * `incrementalMaxChain` incrementals or is broken. Otherwise a full backup is
 * taken and a warning logged (what pgBackRest does with an incr and no prior
 * backup): a scheduled incremental must not fail, and must not grow a chain
 * without end. `run.fullBecause` records why, for the result.
 */
async function findParent(run: Run, target: Database): Promise<BackupManifest | undefined> {
  const { ctx, options, database, log } = run;
  const sys = await target.query<{ id: string; major: number }>(
    "SELECT system_identifier::text AS id, current_setting('server_version_num')::int / 10000 AS major FROM pg_control_system()",
    [],
    { signal: options.signal },
  );
  const { backups } = await ctx.catalog.scan({ database, signal: options.signal });
  const decision = decideParent(
    backups,
    { systemIdentifier: sys.rows[0]!.id, major: Number(sys.rows[0]!.major) },
    ctx.settings.incrementalMaxChain,
  );
  if (decision.parent) {
    log.info({ event: 'backup_incremental_parent', parentBackupId: decision.parent.backupId }, 'incremental backup');
    return decision.parent;
  }
  run.fullBecause = { reason: decision.fullBecause, message: decision.message };
  log.warn({ event: 'backup_incremental_became_full', reason: decision.fullBecause }, decision.message);
  return undefined;
}

/** Downloads the parent's stored backup_manifest to a private temp dir for `run`, removed afterwards. */
async function withParentManifest<T>(
  run: Run,
  source: Source,
  tempDir: string,
  fn: (incrementalFrom: string | undefined) => Promise<T>,
): Promise<T> {
  const parent = source.parent;
  if (!parent) return fn(undefined);
  const dir = await mkdtemp(join(tempDir, 'vhbk-parent-'));
  try {
    const file = join(dir, 'backup_manifest');
    const obj = parent.objects.find((o) => o.role === 'backup-manifest')!;
    await objectOpener(run.ctx.catalog.storage, parent, run.ctx.keyRing).toFile(obj, file, run.options.signal);
    return await fn(file).catch((err: unknown) => {
      throw isDbrsError(err) ? summariesMissing(err, parent.backupId) : err;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the dump strategy; `store` streams each object through compression and encryption into the folder. */
async function dump(run: Run, source: Source, written: { any: boolean }) {
  const { ctx, options, database, backupId } = run;
  const { settings, keyRing, catalog } = ctx;
  const progress = progressReporter(ctx.logger, 'dump', options.onProgress);
  // Totals of the objects already stored; the running object's counts are added as they arrive.
  let rawDone = 0;
  let storedDone = 0;
  const now = { raw: 0, stored: 0, uploaded: 0 };
  const report = () =>
    progress(rawDone + now.raw, false, {
      storedBytes: storedDone + now.stored,
      uploadedBytes: storedDone + now.uploaded,
    });
  const dumpCtx: DumpContext = {
    db: source.target,
    database,
    env: connectionEnv(ctx.db, database),
    toolPath: source.toolPath,
    tempDir: settings.tempDir ?? tmpdir(),
    signal: options.signal,
    onSpawn: options.onSpawn,
    logger: run.log,
    compression: { kind: settings.compression, level: settings.compressionLevel },
    zstd:
      settings.compression === 'zstd' && settings.zstdProgram
        ? { program: settings.zstdProgram, level: settings.compressionLevel ?? 3 }
        : undefined,
    store: async (path, role, stream, precompressed) => {
      written.any = true;
      const name = `${path}${COMPRESSION_SUFFIX[settings.compression]}${keyRing.encrypting ? '.vhbk' : ''}`;
      const stored = await writeObject(stream, {
        storage: catalog.storage,
        key: catalog.key(database, backupId, name),
        compression: precompressed ? 'none' : settings.compression,
        compressionLevel: settings.compressionLevel,
        zstdProgram: settings.zstdProgram,
        keyRing,
        signal: options.signal,
        metadata: { backup_id: backupId, role: role.replace(/-/g, '_') },
        onRawBytes: (n) => {
          now.raw = n;
          report();
        },
        onStoredBytes: (n) => {
          now.stored = n;
        },
        onUploadedBytes: (n) => {
          now.uploaded = n;
          report();
        },
      });
      const rawBytes = precompressed ? precompressed.rawBytes() : stored.rawBytes;
      rawDone += rawBytes;
      storedDone += stored.storedBytes;
      Object.assign(now, { raw: 0, stored: 0, uploaded: 0 });
      return { name, path, role, rawBytes, storedBytes: stored.storedBytes, sha256: stored.sha256 };
    },
  };
  const outcome: DumpOutcome =
    run.type === BackupType.LOGICAL
      ? await logicalDump(dumpCtx, {
          tables: options.tables,
          excludeTables: options.excludeTables,
          schemas: options.schemas,
          excludeSchemas: options.excludeSchemas,
          jobs: options.jobs,
          globals: options.globals,
          rowCounts: settings.rowCounts,
        })
      : await withParentManifest(run, source, dumpCtx.tempDir, (incrementalFrom) =>
          physicalBackup(dumpCtx, {
            toolMajor: source.mainVersion.major,
            rowCounts: settings.rowCounts,
            ...(incrementalFrom ? { incrementalFrom } : {}),
          }),
        );
  const finish = () => progress(rawDone, true, { storedBytes: storedDone, uploadedBytes: storedDone });
  return { outcome, finish };
}

function buildManifest(run: Run, source: Source, outcome: DumpOutcome): BackupManifest {
  const { options, ctx } = run;
  const finishedAt = new Date();
  const objects = outcome.objects;
  return {
    formatVersion: MANIFEST_FORMAT,
    backupId: run.backupId,
    type: run.type,
    database: run.database,
    status: 'completed',
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.round(performance.now() - run.started),
    server: {
      version: source.server.text,
      versionNum: source.server.num,
      systemIdentifier: outcome.systemIdentifier,
      ...(outcome.superuser ? { superuser: outcome.superuser } : {}),
    },
    tool: { name: source.mainTool, version: source.mainVersion.text },
    format: outcome.format,
    options: {
      tables: options.tables,
      excludeTables: options.excludeTables,
      schemas: options.schemas,
      excludeSchemas: options.excludeSchemas,
      jobs: options.jobs,
      globals: options.globals,
    },
    wal: outcome.wal,
    ...(source.parent ? { incremental: { parentBackupId: source.parent.backupId } } : {}),
    compression: ctx.settings.compression,
    encryption: ctx.keyRing.encrypting
      ? { algorithm: 'aes-256-gcm-chunked', keyIds: ctx.keyRing.encryptionKeyIds }
      : null,
    sizes: {
      rawBytes: objects.reduce((n, o) => n + o.rawBytes, 0),
      storedBytes: objects.reduce((n, o) => n + o.storedBytes, 0),
    },
    objects,
    rowCounts: outcome.rowCounts,
    ...(outcome.rowCountsNextXid ? { rowCountsNextXid: outcome.rowCountsNextXid } : {}),
    snapshotId: outcome.snapshotId,
  };
}

async function recordSuccess(run: Run, manifest: BackupManifest): Promise<BackupResult> {
  const { ctx, database, type, backupId } = run;
  const labels = { database, type };
  const durationMs = manifest.durationMs;
  ctx.metrics?.status.set(labels, 1);
  ctx.metrics?.duration.observe(labels, durationMs / 1000);
  ctx.metrics?.size.set(labels, manifest.sizes.storedBytes);
  ctx.metrics?.lastSuccess.set(labels, new Date(manifest.finishedAt).getTime() / 1000);
  run.log.info({ event: 'backup_completed', durationMs, ...manifest.sizes }, 'backup completed');
  await ctx.audit('backup.create', `${database}/${backupId}`, 'success', {
    type,
    storedBytes: manifest.sizes.storedBytes,
    durationMs,
  });
  return {
    backupId,
    database,
    type,
    sizeBytes: manifest.sizes.rawBytes,
    storedBytes: manifest.sizes.storedBytes,
    durationMs,
    manifest,
    ...(run.fullBecause ? { incrementalBecameFull: run.fullBecause } : {}),
  };
}

/** Removes a partial folder (cleanup finds it after the grace period if this fails), counts and audits the failure. */
async function recordFailure(run: Run, caught: unknown, wroteAnything: boolean): Promise<DbrsError> {
  const { ctx, options, database, type, backupId, log } = run;
  const err = options.signal?.aborted ? abortError(options.signal, 'backup') : toBackupError(caught);
  if (wroteAnything) {
    await ctx.catalog
      .deleteFolder(database, backupId)
      .catch((cleanupErr) =>
        log.warn(
          { event: 'backup_cleanup_failed', err: cleanupErr },
          'could not remove the partial backup; cleanup will after the grace period',
        ),
      );
  }
  if (err.code !== 'LOCK_NOT_ACQUIRED') {
    const labels = { database, type };
    ctx.metrics?.status.set(labels, 0);
    ctx.metrics?.failures.inc({ ...labels, code: err.code });
  }
  log.error({ event: 'backup_failed', code: err.code, err }, 'backup failed');
  await ctx.audit('backup.create', `${database}/${backupId}`, 'failure', {
    type,
    code: err.code,
    message: err.message,
  });
  return err;
}

function toBackupError(err: unknown): DbrsError {
  if (isDbrsError(err)) return err;
  return new DbrsError('BACKUP_FAILED', `Backup failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
