import {
  type AuditLog,
  type Database,
  type DatabaseInput,
  DbrsError,
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
import { KeyRing } from './pipeline/encryption/keyring.js';
import { createStorage } from './storage/create-storage.js';
import type { BackupStorage } from './storage/types.js';
import type { BackupConfig, BackupResult, CreateBackupOptions } from './types.js';

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
  readonly #config: BackupConfig;
  readonly #settings: ResolvedSettings;
  readonly #db: Database;
  readonly #ownsDb: boolean;
  readonly #logger: Logger;
  readonly #metrics: BackupMetrics | undefined;
  readonly #audit: AuditLog | undefined;
  #ready_: Ready | undefined;
  #ownsStorage = false;
  #initializing: Promise<Ready> | undefined;
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
    if (!this.#ready_) throw new DbrsError('INVALID_ARGUMENT', 'Call initialize() first.');
    return this.#ready_.storage;
  }

  /** Opens the storage, loads keys, and checks the storage answers (credentials, bucket). Safe to call twice. */
  async initialize(): Promise<void> {
    await this.#ready();
  }

  async createBackup(database?: string, options: CreateBackupOptions = {}): Promise<BackupResult> {
    return createBackup(await this.#context(), database, options);
  }

  /** Completed backups (manifest present), newest first. Incomplete uploads are never listed. */
  async listBackups(filter: ListBackupsFilter = {}): Promise<BackupInfo[]> {
    return listBackups(await this.#context(), filter);
  }

  async verifyBackup(backupId: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    return verifyBackup(await this.#context(), backupId, options);
  }

  async restoreBackup(backupId: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    return restoreBackup(await this.#context(), backupId, options);
  }

  /**
   * Applies retention: deletes backups no rule keeps (never the newest, nor
   * the newest verified, of a database) and incomplete folders older than the
   * grace period. With dryRun nothing is deleted.
   */
  async cleanupOldBackups(options: CleanupOptions = {}): Promise<CleanupResult> {
    return cleanupOldBackups(await this.#context(), options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#initializing?.catch(() => {});
    if (this.#ownsStorage) await this.#ready_?.storage.close().catch(() => {});
    if (this.#ownsDb) await this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The initialised resources, initialising once (memoised; a failed attempt is retried by the next call). */
  #ready(): Promise<Ready> {
    if (this.#closed)
      throw new DbrsError('CLOSED', 'The backup manager is closed.', { hint: 'Create a new DatabaseBackupManager.' });
    this.#initializing ??= this.#initialize().catch((err) => {
      this.#initializing = undefined;
      throw err;
    });
    return this.#initializing;
  }

  async #context(): Promise<OperationContext> {
    const ready = await this.#ready();
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

  async #initialize(): Promise<Ready> {
    const config = this.#config;
    const keyRing = await KeyRing.create({
      encryptionKey: config.encryption === false ? undefined : config.encryptionKey,
      encryptionRecipients: config.encryption === false ? [] : config.encryptionRecipients,
      decryptionKeys: [
        ...(config.encryption === false && config.encryptionKey ? [config.encryptionKey] : []),
        ...(config.decryptionKeys ?? []),
      ],
      scryptLogN: config.scryptLogN,
      chunkSize: config.encryptionChunkSize,
    });
    let storage: BackupStorage;
    if (config.storage) storage = config.storage;
    else {
      storage = createStorage(config);
      this.#ownsStorage = true;
    }
    const ready: Ready = { storage, catalog: new Catalog(storage), keyRing };
    // Set before the probe so close() releases a storage whose probe failed.
    this.#ready_ = ready;
    // One listing call proves the location and credentials work before the first backup needs them.
    for await (const _ of storage.list('', { pageSize: 1 })) break;
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
