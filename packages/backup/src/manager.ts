import {
  type AuditLog,
  type Database,
  type DatabaseInput,
  DbrsError,
  Lifecycle,
  type Logger,
  resolveDatabase,
  silentLogger,
} from '@voicehive/db-core';
import { Catalog } from './catalog/catalog.js';
import { type ResolvedSettings, resolveSettings } from './config.js';
import { type BackupMetrics, backupMetrics } from './metrics.js';
import { type CleanupOptions, type CleanupResult, cleanupOldBackups } from './operations/cleanup.js';
import type { AuditOutcome, OperationContext, Ready } from './operations/context.js';
import { createBackup } from './operations/create.js';
import { type BackupInfo, type ListBackupsFilter, listBackups } from './operations/list.js';
import { type RestoreOptions, type RestoreResult, restoreBackup } from './operations/restore.js';
import { type VerifyOptions, type VerifyResult, verifyBackup } from './operations/verify.js';
import {
  type VerifyPointInTimeOptions,
  type VerifyPointInTimeResult,
  verifyPointInTime,
} from './operations/verify-point-in-time.js';
import {
  archiveWal,
  createRestorePoint,
  fetchWal,
  getRecoveryWindow,
  lastWalVerify,
  listRestorePoints,
  verifyWal,
  type WalVerifyResult,
} from './operations/wal.js';
import { keyRingFromConfig } from './pipeline/encryption/from-config.js';
import { createStorage } from './storage/create-storage.js';
import type { BackupStorage } from './storage/types.js';
import type { BackupResult, CreateBackupOptions, DatabaseBackupManagerOptions } from './types.js';
import { type FetchResult, type PushResult, WalArchive } from './wal/archive.js';
import type { RestorePoint } from './wal/restore-points.js';
import type { WalVerifyRecord } from './wal/verify-record.js';
import type { RecoveryWindow } from './wal/window.js';

export type { CleanupOptions, CleanupResult } from './operations/cleanup.js';
export type { BackupInfo, ListBackupsFilter } from './operations/list.js';
export type { RestoreOptions, RestoreResult } from './operations/restore.js';
export type { VerifyOptions, VerifyResult } from './operations/verify.js';

/**
 * Logical and physical PostgreSQL backups streamed through compression and
 * encryption into pluggable storage, listed only once their manifest is
 * written, verified up to a real restore, and pruned by retention rules.
 *
 * A thin facade: it owns the lifecycle (initialise once, close once) and
 * hands each call to its stage in `operations/` with the ready resources.
 */
export class DatabaseBackupManager implements AsyncDisposable {
  readonly #config: DatabaseBackupManagerOptions;
  readonly #settings: ResolvedSettings;
  readonly #db: Database;
  readonly #ownsDb: boolean;
  readonly #logger: Logger;
  readonly #metrics: BackupMetrics | undefined;
  readonly #audit: AuditLog | undefined;
  #ready_: Ready | undefined;
  #ownsStorage = false;
  // The shared lifecycle kit (core): memoised, retried initialise with a signal; CLOSED after close().
  readonly #life = new Lifecycle<Ready>({
    name: 'backup manager',
    init: (signal) => this.#initialize(signal),
    dispose: () => this.#release(),
  });

  constructor(db: DatabaseInput | URL, config: DatabaseBackupManagerOptions = {}) {
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
    if (!this.#ready_) throw new DbrsError('INVALID_ARGUMENT', 'Call initialize() first.');
    return this.#ready_.storage;
  }

  /**
   * Opens the storage, loads keys, and checks the storage answers (credentials, bucket). Optional: every method
   * initialises on first use. Idempotent; a failed attempt is retried by the next call.
   */
  async initialize(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#life.initialize(options);
  }

  async createBackup(database?: string, options: CreateBackupOptions = {}): Promise<BackupResult> {
    return createBackup(await this.#context(options.signal), database, options);
  }

  /** Completed backups (manifest present), newest first. Incomplete uploads are never listed. */
  async listBackups(filter: ListBackupsFilter = {}): Promise<BackupInfo[]> {
    return listBackups(await this.#context(filter.signal), filter);
  }

  async verifyBackup(backupId: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    return verifyBackup(await this.#context(options.signal), backupId, options);
  }

  /**
   * Restores a backup. With `recoveryTarget` (physical backups and archived
   * WAL), `backupId` may be 'latest': the newest base backup that ends
   * before the target is picked, and recovery replays the archive up to it.
   */
  async restoreBackup(backupId: string | 'latest', options: RestoreOptions = {}): Promise<RestoreResult> {
    return restoreBackup(await this.#context(options.signal), backupId, options);
  }

  /** archive_command in a library: stores one WAL file (path's base name is its name) in the WAL archive. */
  async archiveWal(path: string, options: { signal?: AbortSignal } = {}): Promise<PushResult> {
    return archiveWal(await this.#context(options.signal), path, options);
  }

  /** restore_command in a library: writes archived WAL file `name` to `dest`; NOT_FOUND when not archived. */
  async fetchWal(name: string, dest: string, options: { signal?: AbortSignal } = {}): Promise<FetchResult> {
    return fetchWal(await this.#context(options.signal), name, dest, options);
  }

  /** pg_create_restore_point(name), recorded in the archive so restores can find and list it. */
  async createRestorePoint(name: string, options: { signal?: AbortSignal } = {}): Promise<RestorePoint> {
    return createRestorePoint(await this.#context(options.signal), name, options);
  }

  async listRestorePoints(options: { signal?: AbortSignal } = {}): Promise<RestorePoint[]> {
    return listRestorePoints(await this.#context(options.signal), options);
  }

  /** Earliest and latest recoverable moments, per timeline, with the gaps (also set as metrics). */
  async getRecoveryWindow(options: { signal?: AbortSignal } = {}): Promise<RecoveryWindow> {
    return getRecoveryWindow(await this.#context(options.signal), options);
  }

  /** Continuity of the archived WAL from each retained physical base backup to the newest segment. */
  async verifyWal(options: { signal?: AbortSignal } = {}): Promise<WalVerifyResult> {
    return verifyWal(await this.#context(options.signal), options);
  }

  /**
   * The last verifyWal() outcome stored against this storage, by whichever
   * process ran it (a sidecar's maintenance cycle, `dbrs wal verify`);
   * undefined when none ran yet.
   */
  async lastWalVerify(options: { signal?: AbortSignal } = {}): Promise<WalVerifyRecord | undefined> {
    return lastWalVerify(await this.#context(options.signal), options);
  }

  /**
   * Level-3 verification of the recovery window: a real point-in-time
   * restore to a random moment inside it on a private server, the caller's
   * check of the data there, and the recovery time per GB and WAL replay rate.
   */
  async verifyPointInTime(options: VerifyPointInTimeOptions = {}): Promise<VerifyPointInTimeResult> {
    return verifyPointInTime(await this.#context(options.signal), options);
  }

  /**
   * Applies retention: deletes backups no rule keeps (never the newest, nor
   * the newest verified, of a database) and incomplete folders older than the
   * grace period. With dryRun nothing is deleted.
   */
  async cleanupOldBackups(options: CleanupOptions = {}): Promise<CleanupResult> {
    return cleanupOldBackups(await this.#context(options.signal), options);
  }

  /** Idempotent; waits for an initialisation in flight. Any use afterwards is CLOSED. */
  close(): Promise<void> {
    return this.#life.close();
  }

  async #release(): Promise<void> {
    if (this.#ownsStorage) await this.#ready_?.storage.close().catch(() => {});
    if (this.#ownsDb) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The initialised resources (initialising on first use) and the manager's collaborators, for one operation. */
  async #context(signal: AbortSignal | undefined): Promise<OperationContext> {
    const ready = await this.#life.ready(signal);
    return {
      ...ready,
      db: this.#db,
      config: this.#config,
      settings: this.#settings,
      logger: this.#logger,
      metrics: this.#metrics,
      audit: (action, target, outcome, details) => this.#auditRecord(action, target, outcome, details),
    };
  }

  async #initialize(signal: AbortSignal | undefined): Promise<Ready> {
    const config = this.#config;
    const keyRing = await keyRingFromConfig(config);
    let storage: BackupStorage;
    if (config.storage) storage = config.storage;
    else {
      storage = createStorage(config);
      this.#ownsStorage = true;
    }
    const wal = new WalArchive({
      storage,
      keyRing,
      compression: this.#settings.compression,
      compressionLevel: this.#settings.compressionLevel,
      zstdProgram: this.#settings.zstdProgram,
      ...(config.walPrefix ? { prefix: config.walPrefix } : {}),
      logger: this.#logger,
      ...(config.metrics ? { metrics: config.metrics } : {}),
    });
    const ready: Ready = { storage, catalog: new Catalog(storage), keyRing, wal };
    // Set before the probe so close() releases a storage whose probe failed.
    this.#ready_ = ready;
    // One listing call proves the location and credentials work before the first backup needs them.
    for await (const _ of storage.list('', { pageSize: 1, signal })) break;
    this.#logger.info(
      {
        event: 'backup_initialized',
        storage: storage.location,
        encryption: keyRing.encrypting ? keyRing.encryptionKeyIds : 'off',
        compression: this.#settings.compression,
        zstd: this.#settings.zstdProgram || 'node:zlib',
      },
      'backup manager ready',
    );
    return ready;
  }

  async #auditRecord(
    action: string,
    target: string,
    outcome: AuditOutcome,
    details: Record<string, unknown>,
  ): Promise<void> {
    // Core's audit policy: a failed write is logged and counted by AuditLog and never thrown into the operation.
    await this.#audit?.record({ actor: this.#settings.actor, action, target, outcome, details });
  }
}
