import { tmpdir } from 'node:os';
import {
  type AuditLog,
  abortError,
  createDatabase,
  type Database,
  type DatabaseInput,
  DbrsError,
  getServerVersion,
  isDbrsError,
  LeaderLock,
  type Logger,
  parseDatabaseUrl,
  resolveDatabase,
  silentLogger,
  throwIfAborted,
} from '@voicehive/db-core';
import { assertBackupId, newBackupId } from './catalog/backup-id.js';
import { Catalog } from './catalog/catalog.js';
import {
  type BackupManifest,
  MANIFEST_FORMAT,
  type ManifestObject,
  type VerificationRecord,
} from './catalog/manifest.js';
import { type ResolvedSettings, resolveSettings } from './config.js';
import type { DumpContext, DumpOutcome } from './dump/context.js';
import { logicalDump } from './dump/logical.js';
import { physicalBackup } from './dump/physical.js';
import { type BackupMetrics, backupMetrics } from './metrics.js';
import { COMPRESSION_SUFFIX } from './pipeline/compression.js';
import { KeyRing } from './pipeline/encryption/keyring.js';
import { writeObject } from './pipeline/object-io.js';
import { objectOpener } from './restore/fetch.js';
import { restoreGlobals } from './restore/globals.js';
import { logicalRestore } from './restore/logical-restore.js';
import { assertRestorable, createDatabaseIfMissing, databaseExists, siblingDatabase } from './restore/target.js';
import { planRetention, type RetentionPlan } from './retention/plan.js';
import { createStorage } from './storage/create-storage.js';
import type { BackupStorage } from './storage/types.js';
import { connectionEnv } from './tools/connection-env.js';
import { assertToolVersion, locateTool, toolVersion } from './tools/pg-tools.js';
import {
  type BackupConfig,
  type BackupPhase,
  type BackupResult,
  BackupType,
  type CreateBackupOptions,
  type PgTool,
  type ProgressEvent,
} from './types.js';
import { verifyChecksums } from './verify/checksum.js';
import { physicalRestoreTest } from './verify/physical-restore-test.js';
import { extractPhysical, verifyReadable } from './verify/readable.js';
import { restoreTest } from './verify/restore-test.js';

export interface ListBackupsFilter {
  database?: string;
  type?: BackupType;
  /** Only backups started at or after this time. */
  since?: Date;
  /** Only backups whose latest verification passed. */
  verified?: boolean;
  /** Newest first; at most this many. */
  limit?: number;
  signal?: AbortSignal;
}

export interface BackupInfo {
  backupId: string;
  database: string;
  type: BackupType;
  startedAt: Date;
  finishedAt: Date;
  sizeBytes: number;
  storedBytes: number;
  verified: boolean;
  manifest: BackupManifest;
}

export interface VerifyOptions {
  /** 1 checksums, 2 readable by the tools, 3 restore test. Default 2 (3 with restoreTest). */
  level?: 1 | 2 | 3;
  /** Same as level 3. */
  restoreTest?: boolean;
  /** Server for the scratch database. Default: config.verifyServerUrl, else the backed-up server. */
  verifyServerUrl?: string;
  /** pg_restore jobs in the restore test. Default 1. */
  jobs?: number;
  /** Physical level 3: how long the restored server may take to recover and accept connections, in ms. Default 600000. */
  recoveryTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface VerifyResult {
  backupId: string;
  database: string;
  level: 1 | 2 | 3;
  ok: boolean;
  durationMs: number;
  restoreDurationMs?: number;
  amcheck?: 'passed' | 'failed' | 'unavailable';
  tablesCompared?: number;
  /** Physical level 3: databases of the restored cluster whose btree indexes were checked. */
  databasesChecked?: number;
  /**
   * Physical level 3: true when no transaction ran between the row count and
   * the backup's end, so counts were compared exactly; false when the cluster
   * was written meanwhile, and differences are listed in rowCountMismatches
   * instead of failing (a missing table still fails).
   */
  rowCountsExact?: boolean;
  rowCountMismatches?: string[];
  /** Why it failed (code and message; the object name for checksum failures). */
  error?: { code: string; message: string; object?: string };
}

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
}

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
 * Logical and physical PostgreSQL backups streamed through compression and
 * encryption into pluggable storage, listed only once their manifest is
 * written, verified up to a real restore, and pruned by retention rules.
 */
export class DatabaseBackupManager implements AsyncDisposable {
  readonly #config: BackupConfig;
  readonly #settings: ResolvedSettings;
  readonly #db: Database;
  readonly #ownsDb: boolean;
  readonly #logger: Logger;
  readonly #metrics: BackupMetrics | undefined;
  readonly #audit: AuditLog | undefined;
  #storage: BackupStorage | undefined;
  #ownsStorage = false;
  #catalog: Catalog | undefined;
  #keyRing: KeyRing | undefined;
  #initializing: Promise<void> | undefined;
  #closed = false;

  constructor(db: DatabaseInput | URL, config: BackupConfig = {}) {
    this.#config = config;
    this.#settings = resolveSettings(config);
    const resolved = resolveDatabase(db instanceof URL ? db.toString() : db, { logger: config.logger });
    this.#db = resolved.database;
    this.#ownsDb = resolved.owned;
    this.#logger = (config.logger ?? silentLogger()).child({ component: 'backup' });
    this.#metrics = config.metrics ? backupMetrics(config.metrics) : undefined;
    this.#audit = config.audit;
  }

  /** The storage in use (after initialize). */
  get storage(): BackupStorage {
    if (!this.#storage) throw new DbrsError('INVALID_ARGUMENT', 'Call initialize() first.');
    return this.#storage;
  }

  /** Opens the storage, loads keys, and checks the storage answers (credentials, bucket). Safe to call twice. */
  initialize(): Promise<void> {
    this.#assertOpen();
    this.#initializing ??= this.#initialize().catch((err) => {
      this.#initializing = undefined;
      throw err;
    });
    return this.#initializing;
  }

  async #initialize(): Promise<void> {
    this.#keyRing = await KeyRing.create({
      encryptionKey: this.#config.encryption === false ? undefined : this.#config.encryptionKey,
      encryptionRecipients: this.#config.encryption === false ? [] : this.#config.encryptionRecipients,
      decryptionKeys: [
        ...(this.#config.encryption === false && this.#config.encryptionKey ? [this.#config.encryptionKey] : []),
        ...(this.#config.decryptionKeys ?? []),
      ],
      scryptLogN: this.#config.scryptLogN,
      chunkSize: this.#config.encryptionChunkSize,
    });
    if (this.#config.storage) {
      this.#storage = this.#config.storage;
    } else {
      this.#storage = createStorage(this.#config);
      this.#ownsStorage = true;
    }
    this.#catalog = new Catalog(this.#storage);
    // One listing call proves the location and credentials work before the first backup needs them.
    for await (const _ of this.#storage.list('', { pageSize: 1 })) break;
    this.#logger.info(
      {
        event: 'backup_initialized',
        storage: this.#storage.location,
        encryption: this.#keyRing.encrypting ? this.#keyRing.encryptionKeyIds : 'off',
        compression: this.#settings.compression,
        zstd: this.#settings.zstdProgram || 'node:zlib',
      },
      'backup manager ready',
    );
  }

  async createBackup(database?: string, options: CreateBackupOptions = {}): Promise<BackupResult> {
    await this.initialize();
    const dbName = database ?? this.#db.info.database;
    if (typeof dbName !== 'string' || dbName === '') {
      throw new DbrsError('INVALID_ARGUMENT', 'createBackup needs a database name.', {
        hint: 'Pass the name, or connect to it.',
      });
    }
    const type = options.type ?? this.#settings.backupType;
    if (type !== BackupType.LOGICAL && type !== BackupType.PHYSICAL) {
      throw new DbrsError('INVALID_ARGUMENT', `Unknown backup type "${String(type)}".`, {
        hint: "Use 'logical' or 'physical'.",
      });
    }
    throwIfAborted(options.signal, 'backup');
    const started = performance.now();
    const startedAt = new Date();
    const backupId = newBackupId(startedAt);
    const labels = { database: dbName, type };
    const catalog = this.#catalog!;
    const log = this.#logger.child({ backupId, database: dbName, type });

    const lock = new LeaderLock(this.#db, { name: `backup:${dbName}`, logger: this.#logger });
    let target: Database | undefined;
    let ownsTarget = false;
    let wroteAnything = false;
    try {
      await lock.acquireOrThrow({ timeoutMs: this.#settings.lockTimeoutMs, signal: options.signal });
      if (dbName === this.#db.info.database) target = this.#db;
      else {
        if (!(await databaseExists(this.#db, dbName, options.signal))) {
          throw new DbrsError(
            'NOT_FOUND',
            `Database "${dbName}" does not exist on ${this.#db.info.host}:${this.#db.info.port}.`,
            {
              hint: 'Check the name (SELECT datname FROM pg_database).',
              details: { database: dbName },
            },
          );
        }
        target = siblingDatabase(this.#db, dbName);
        ownsTarget = true;
      }
      const server = await getServerVersion(target);
      const mainTool: PgTool = type === BackupType.LOGICAL ? 'pg_dump' : 'pg_basebackup';
      const toolPath = this.#toolLocator(server.major);
      const mainVersion = await toolVersion(toolPath(mainTool), mainTool);
      assertToolVersion(mainTool, mainVersion, server.major, server.text);
      if (options.globals)
        assertToolVersion(
          'pg_dumpall',
          await toolVersion(toolPath('pg_dumpall'), 'pg_dumpall'),
          server.major,
          server.text,
        );

      const progress = this.#progress('dump', options.onProgress);
      let rawDone = 0;
      const ctx: DumpContext = {
        db: target,
        database: dbName,
        env: connectionEnv(this.#db, dbName),
        toolPath,
        tempDir: this.#settings.tempDir ?? tmpdir(),
        signal: options.signal,
        onSpawn: options.onSpawn,
        logger: log,
        compression: { kind: this.#settings.compression, level: this.#settings.compressionLevel },
        zstd:
          this.#settings.compression === 'zstd' && this.#settings.zstdProgram
            ? { program: this.#settings.zstdProgram, level: this.#settings.compressionLevel ?? 3 }
            : undefined,
        store: async (path, role, source, precompressed) => {
          wroteAnything = true;
          const name = `${path}${COMPRESSION_SUFFIX[this.#settings.compression]}${this.#keyRing!.encrypting ? '.vhbk' : ''}`;
          const stored = await writeObject(source, {
            storage: catalog.storage,
            key: catalog.key(dbName, backupId, name),
            compression: precompressed ? 'none' : this.#settings.compression,
            compressionLevel: this.#settings.compressionLevel,
            zstdProgram: this.#settings.zstdProgram,
            keyRing: this.#keyRing,
            signal: options.signal,
            metadata: { backup_id: backupId, role: role.replace(/-/g, '_') },
            onRawBytes: (n) => progress(rawDone + n),
          });
          const rawBytes = precompressed ? precompressed.rawBytes() : stored.rawBytes;
          rawDone += rawBytes;
          return {
            name,
            path,
            role,
            rawBytes,
            storedBytes: stored.storedBytes,
            sha256: stored.sha256,
          };
        },
      };
      log.info({ event: 'backup_started', storage: catalog.storage.location }, 'backup started');
      const outcome: DumpOutcome =
        type === BackupType.LOGICAL
          ? await logicalDump(ctx, {
              tables: options.tables,
              excludeTables: options.excludeTables,
              schemas: options.schemas,
              excludeSchemas: options.excludeSchemas,
              jobs: options.jobs,
              globals: options.globals,
              rowCounts: this.#settings.rowCounts,
            })
          : await physicalBackup(ctx, { toolMajor: mainVersion.major, rowCounts: this.#settings.rowCounts });
      progress(rawDone, true);
      throwIfAborted(options.signal, 'backup');

      const finishedAt = new Date();
      const durationMs = Math.round(performance.now() - started);
      const objects: ManifestObject[] = outcome.objects;
      const manifest: BackupManifest = {
        formatVersion: MANIFEST_FORMAT,
        backupId,
        type,
        database: dbName,
        status: 'completed',
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs,
        server: {
          version: server.text,
          versionNum: server.num,
          systemIdentifier: outcome.systemIdentifier,
          ...(outcome.superuser ? { superuser: outcome.superuser } : {}),
        },
        tool: { name: mainTool, version: mainVersion.text },
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
        compression: this.#settings.compression,
        encryption: this.#keyRing!.encrypting
          ? { algorithm: 'aes-256-gcm-chunked', keyIds: this.#keyRing!.encryptionKeyIds }
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
      // Written last: its presence is what makes the folder a backup.
      this.#progress('manifest', options.onProgress)(0, true);
      await catalog.writeManifest(manifest, options.signal);

      this.#metrics?.status.set(labels, 1);
      this.#metrics?.duration.observe(labels, durationMs / 1000);
      this.#metrics?.size.set(labels, manifest.sizes.storedBytes);
      this.#metrics?.lastSuccess.set(labels, finishedAt.getTime() / 1000);
      log.info({ event: 'backup_completed', durationMs, ...manifest.sizes }, 'backup completed');
      await this.#auditRecord('backup.create', `${dbName}/${backupId}`, 'success', {
        type,
        storedBytes: manifest.sizes.storedBytes,
        durationMs,
      });
      return {
        backupId,
        database: dbName,
        type,
        sizeBytes: manifest.sizes.rawBytes,
        storedBytes: manifest.sizes.storedBytes,
        durationMs,
        manifest,
      };
    } catch (caught) {
      const err = options.signal?.aborted ? abortError(options.signal, 'backup') : toBackupError(caught);
      if (wroteAnything) {
        await catalog
          .deleteFolder(dbName, backupId)
          .catch((cleanupErr) =>
            log.warn(
              { event: 'backup_cleanup_failed', err: cleanupErr },
              'could not remove the partial backup; cleanup will after the grace period',
            ),
          );
      }
      if (err.code !== 'LOCK_NOT_ACQUIRED') {
        this.#metrics?.status.set(labels, 0);
        this.#metrics?.failures.inc({ ...labels, code: err.code });
      }
      log.error({ event: 'backup_failed', code: err.code, err }, 'backup failed');
      await this.#auditRecord('backup.create', `${dbName}/${backupId}`, 'failure', {
        type,
        code: err.code,
        message: err.message,
      });
      throw err;
    } finally {
      await lock.close().catch(() => {});
      if (ownsTarget) await target?.close().catch(() => {});
    }
  }

  /** Completed backups (manifest present), newest first. Incomplete uploads are never listed. */
  async listBackups(filter: ListBackupsFilter = {}): Promise<BackupInfo[]> {
    await this.initialize();
    const scan = await this.#catalog!.scan({ database: filter.database, signal: filter.signal });
    let list = scan.backups.map(toInfo);
    if (filter.type) list = list.filter((b) => b.type === filter.type);
    if (filter.since) list = list.filter((b) => b.startedAt >= filter.since!);
    if (filter.verified !== undefined) list = list.filter((b) => b.verified === filter.verified);
    return filter.limit !== undefined ? list.slice(0, filter.limit) : list;
  }

  async verifyBackup(backupId: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    await this.initialize();
    assertBackupId(backupId);
    const level = options.restoreTest ? 3 : (options.level ?? 2);
    if (level !== 1 && level !== 2 && level !== 3) {
      throw new DbrsError('INVALID_ARGUMENT', `Verification level ${String(level)} is not 1, 2 or 3.`);
    }
    const manifest = await this.#catalog!.find(backupId, { signal: options.signal });
    const started = performance.now();
    const result: VerifyResult = { backupId, database: manifest.database, level, ok: false, durationMs: 0 };
    const report = this.#progress('verify', options.onProgress);
    let server: Database | undefined;
    try {
      report(0, true);
      await verifyChecksums(this.#catalog!.storage, manifest, options.signal);
      if (level >= 2) {
        const toolPath = this.#toolLocator(Math.floor(manifest.server.versionNum / 10_000));
        const opener = objectOpener(this.#catalog!.storage, manifest, this.#keyRing);
        const tempDir = this.#settings.tempDir ?? tmpdir();
        if (level === 2) {
          await verifyReadable({ manifest, opener, toolPath, tempDir, signal: options.signal });
        } else if (manifest.type === BackupType.PHYSICAL) {
          // Includes level 2: pg_verifybackup runs on the extracted directory before the server starts on it.
          const outcome = await physicalRestoreTest({
            manifest,
            opener,
            toolPath,
            serverBinary: { explicit: this.#config.toolPaths?.postgres, binDir: this.#config.binDir },
            tempDir,
            startTimeoutMs: options.recoveryTimeoutMs ?? 600_000,
            signal: options.signal,
            logger: this.#logger,
          });
          result.restoreDurationMs = outcome.restoreDurationMs;
          result.amcheck = outcome.amcheck;
          result.tablesCompared = outcome.tablesCompared;
          result.databasesChecked = outcome.databasesChecked;
          result.rowCountsExact = outcome.rowCountsExact;
          result.rowCountMismatches = outcome.rowCountMismatches;
          this.#metrics?.restoreTestDuration.set({ database: manifest.database }, outcome.restoreDurationMs / 1000);
        } else {
          const url = options.verifyServerUrl ?? this.#config.verifyServerUrl;
          server = url ? createDatabase(url, { poolMax: 2 }) : this.#db;
          const outcome = await restoreTest({
            manifest,
            opener,
            server,
            toolPath,
            tempDir,
            jobs: options.jobs,
            signal: options.signal,
            logger: this.#logger,
          });
          result.restoreDurationMs = outcome.restoreDurationMs;
          result.amcheck = outcome.amcheck;
          result.tablesCompared = outcome.tablesCompared;
          this.#metrics?.restoreTestDuration.set({ database: manifest.database }, outcome.restoreDurationMs / 1000);
        }
      }
      result.ok = true;
    } catch (err) {
      if (options.signal?.aborted || isDbrsError(err, 'ABORTED')) throw abortError(options.signal, 'verification');
      const e = isDbrsError(err) ? err : new DbrsError('VERIFY_FAILED', (err as Error).message, { cause: err });
      const object = typeof e.details['object'] === 'string' ? (e.details['object'] as string) : undefined;
      if (e.code === 'VERIFY_FAILED' && /amcheck/.test(e.message)) result.amcheck = 'failed';
      result.error = { code: e.code, message: e.message, ...(object ? { object } : {}) };
    } finally {
      if (server && server !== this.#db) await server.close().catch(() => {});
    }
    result.durationMs = Math.round(performance.now() - started);
    const record: VerificationRecord = {
      level,
      ok: result.ok,
      at: new Date().toISOString(),
      durationMs: result.durationMs,
      ...(result.restoreDurationMs !== undefined ? { restoreDurationMs: result.restoreDurationMs } : {}),
      ...(result.amcheck ? { amcheck: result.amcheck } : {}),
      ...(result.rowCountsExact !== undefined ? { rowCountsExact: result.rowCountsExact } : {}),
      ...(result.error ? { error: result.error.message } : {}),
    };
    // Rewriting the manifest in place keeps it the folder's completeness marker (every adapter replaces atomically).
    await this.#catalog!.writeManifest({ ...manifest, verification: record }).catch((err) =>
      this.#logger.warn({ event: 'verification_record_failed', err }, 'could not store the verification result'),
    );
    this.#metrics?.verification.set({ database: manifest.database, level: String(level) }, result.ok ? 1 : 0);
    if (result.ok) this.#metrics?.lastVerification.set({ database: manifest.database }, Date.now() / 1000);
    this.#logger[result.ok ? 'info' : 'error'](
      { event: 'backup_verified', backupId, level, ok: result.ok, error: result.error },
      result.ok ? 'verification passed' : 'verification failed',
    );
    await this.#auditRecord('backup.verify', `${manifest.database}/${backupId}`, result.ok ? 'success' : 'failure', {
      level,
      ...(result.error ? { code: result.error.code, message: result.error.message } : {}),
    });
    return result;
  }

  async restoreBackup(backupId: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    await this.initialize();
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
    const manifest = await this.#catalog!.find(backupId, { signal: options.signal });
    const opener = objectOpener(this.#catalog!.storage, manifest, this.#keyRing);
    const started = performance.now();
    const toolPath = this.#toolLocator(Math.floor(manifest.server.versionNum / 10_000));
    const report = this.#progress('restore', options.onProgress);
    report(0, true);

    if (manifest.type === BackupType.PHYSICAL) {
      if (!options.targetDirectory) {
        throw new DbrsError('INVALID_ARGUMENT', 'A physical backup restores into a directory: pass targetDirectory.');
      }
      if (options.restoreGlobals) {
        throw new DbrsError('INVALID_ARGUMENT', 'restoreGlobals is for logical backups.', {
          hint: 'A physical backup already holds the whole cluster, roles included.',
        });
      }
      const { readdir } = await import('node:fs/promises');
      const existing = await readdir(options.targetDirectory).catch(() => [] as string[]);
      if (existing.length > 0) {
        throw new DbrsError('TARGET_NOT_EMPTY', `Target directory ${options.targetDirectory} is not empty.`, {
          hint: 'Restore a physical backup into an empty directory, then start PostgreSQL on it.',
        });
      }
      try {
        await extractPhysical({ manifest, opener, signal: options.signal }, options.targetDirectory);
      } catch (err) {
        await this.#auditRecord('backup.restore', `${manifest.database}/${backupId}`, 'failure', {
          message: (err as Error).message,
        });
        throw err;
      }
      const durationMs = Math.round(performance.now() - started);
      await this.#auditRecord('backup.restore', `${manifest.database}/${backupId}`, 'success', {
        targetDirectory: options.targetDirectory,
      });
      return { backupId, targetDatabase: options.targetDirectory, durationMs };
    }
    if (options.targetDirectory)
      throw new DbrsError('INVALID_ARGUMENT', 'targetDirectory is only for physical backups.');

    let target: Database;
    let targetName: string;
    let env: NodeJS.ProcessEnv;
    if (options.targetDatabase !== undefined) {
      targetName = options.targetDatabase;
      if (typeof targetName !== 'string' || targetName === '' || targetName.length > 63) {
        throw new DbrsError('INVALID_ARGUMENT', 'targetDatabase must be a database name of 1–63 characters.');
      }
      await createDatabaseIfMissing(this.#db, targetName, options.signal);
      target = siblingDatabase(this.#db, targetName);
      env = connectionEnv(this.#db, targetName);
    } else {
      const url = String(options.targetUrl);
      targetName = parseDatabaseUrl(url).database;
      target = createDatabase(url, { poolMax: 2 });
      env = connectionEnv(target, targetName);
    }
    const auditTarget = `${manifest.database}/${backupId}`;
    try {
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
        jobs: options.jobs,
        tables: options.tables,
        schemaOnly: options.schemaOnly,
        clean: options.clean,
        owners: options.owners,
        tempDir: this.#settings.tempDir ?? tmpdir(),
        signal: options.signal,
        onSpawn: options.onSpawn,
      });
      const durationMs = Math.round(performance.now() - started);
      report(manifest.sizes.rawBytes, true);
      this.#logger.info({ event: 'backup_restored', backupId, target: targetName, durationMs }, 'restore completed');
      await this.#auditRecord('backup.restore', auditTarget, 'success', {
        targetDatabase: targetName,
        durationMs,
        ...(globals ? { globals: true } : {}),
      });
      return { backupId, targetDatabase: targetName, durationMs, ...(globals ? { globals } : {}) };
    } catch (err) {
      const e = options.signal?.aborted ? abortError(options.signal, 'restore') : err;
      await this.#auditRecord('backup.restore', auditTarget, 'failure', {
        targetDatabase: targetName,
        code: (e as DbrsError).code,
        message: (e as Error).message,
      });
      throw e;
    } finally {
      await target.close().catch(() => {});
    }
  }

  /**
   * Applies retention: deletes backups no rule keeps (never the newest, nor
   * the newest verified, of a database) and incomplete folders older than the
   * grace period. With dryRun nothing is deleted.
   */
  async cleanupOldBackups(options: CleanupOptions = {}): Promise<CleanupResult> {
    await this.initialize();
    const scan = await this.#catalog!.scan({ signal: options.signal });
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
        retentionDays: this.#config.retentionDays,
        keepLast: this.#config.keepLast,
        gfs: this.#config.gfs,
        incompleteGraceMs: this.#settings.incompleteGraceMs,
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
        freedBytes += await this.#catalog!.deleteFolder(d.database, d.backupId, options.signal);
        await this.#auditRecord('backup.delete', `${d.database}/${d.backupId}`, 'success', { reason: 'retention' });
      } else freedBytes += d.storedBytes;
      deleted.push(d.backupId);
    }
    for (const inc of plan.incomplete) {
      if (!dryRun) {
        freedBytes += await this.#catalog!.deleteFolder(inc.database, inc.backupId, options.signal);
        await this.#auditRecord('backup.delete', `${inc.database}/${inc.backupId}`, 'success', {
          reason: 'incomplete',
        });
      } else freedBytes += inc.bytes;
      incompleteRemoved.push(inc.backupId);
    }
    this.#logger.info(
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#initializing?.catch(() => {});
    if (this.#ownsStorage) await this.#storage?.close().catch(() => {});
    if (this.#ownsDb) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new DbrsError('CLOSED', 'The backup manager is closed.', { hint: 'Create a new DatabaseBackupManager.' });
  }

  #toolLocator(serverMajor: number): (tool: PgTool) => string {
    const cache = new Map<PgTool, string>();
    return (tool) => {
      let p = cache.get(tool);
      if (!p) {
        p = locateTool(tool, { binDir: this.#config.binDir, toolPaths: this.#config.toolPaths, serverMajor });
        cache.set(tool, p);
      }
      return p;
    };
  }

  #progress(
    phase: BackupPhase,
    onProgress: ((e: ProgressEvent) => void) | undefined,
  ): (bytes: number, force?: boolean) => void {
    const started = performance.now();
    let last = 0;
    return (bytes, force = false) => {
      if (!onProgress) return;
      const now = performance.now();
      if (!force && now - last < 250) return;
      last = now;
      const secs = (now - started) / 1000;
      try {
        onProgress({ phase, bytes, rate: secs > 0 ? Math.round(bytes / secs) : 0 });
      } catch (err) {
        this.#logger.warn({ event: 'progress_callback_failed', err }, 'onProgress threw');
      }
    };
  }

  async #auditRecord(
    action: string,
    target: string,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ): Promise<void> {
    if (!this.#audit) return;
    try {
      await this.#audit.record({ actor: this.#settings.actor, action, target, outcome, details });
    } catch (err) {
      this.#logger.warn({ event: 'audit_failed', action, err }, 'could not write the audit entry');
    }
  }
}

function toInfo(m: BackupManifest): BackupInfo {
  return {
    backupId: m.backupId,
    database: m.database,
    type: m.type,
    startedAt: new Date(m.startedAt),
    finishedAt: new Date(m.finishedAt),
    sizeBytes: m.sizes.rawBytes,
    storedBytes: m.sizes.storedBytes,
    verified: m.verification?.ok === true,
    manifest: m,
  };
}

function toBackupError(err: unknown): DbrsError {
  if (isDbrsError(err)) return err;
  return new DbrsError('BACKUP_FAILED', `Backup failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
