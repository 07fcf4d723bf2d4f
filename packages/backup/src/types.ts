import type { AuditLog, Logger, Metrics } from '@voicehive/db-core';
import type { BackupManifest } from './catalog/manifest.js';
import type {
  BackupType,
  CompressionType,
  GfsPolicy,
  NamedPassphrase,
  PgTool,
  ProgressEvent,
  StorageType,
} from './kinds.js';
import type { StorageConfig } from './storage/create-storage.js';
import type { BackupStorage } from './storage/types.js';

export type {
  BackupPhase,
  CompressionType,
  GfsPolicy,
  NamedPassphrase,
  PgTool,
  ProgressEvent,
  ProgressStep,
} from './kinds.js';
export { BackupType, StorageType } from './kinds.js';

/**
 * The manager's configuration. The storage keys are the flat ones of the
 * original system (`localPath`, `s3Bucket`, … documented on StorageConfig).
 */
export interface DatabaseBackupManagerOptions extends Omit<StorageConfig, 'storageType'> {
  /** Default type for `createBackup`. Default `'logical'`. */
  backupType?: BackupType;
  /** Which storage adapter `createStorage` builds when `storage` is not given. Default `'local'`. */
  storageType?: StorageType;
  /** An adapter instance; wins over `storageType` and the flat storage keys. Not closed by the manager. */
  storage?: BackupStorage;

  /** Delete backups older than this many days (subject to keepLast, GFS and the newest-verified rule). Default: no age limit. */
  retentionDays?: number;
  /** Always keep the newest N backups of each database. Default: none. */
  keepLast?: number;
  /** Grandfather-father-son retention. Default: none. */
  gfs?: GfsPolicy;
  /** Objects of a backup without a manifest older than this are removed by cleanup, in ms. Default 24 h. */
  incompleteGraceMs?: number;

  /**
   * Encrypt new backups. Default: on exactly when a key or recipient is set;
   * `true` without one is a config error (BACKUP_ENCRYPTION_ENABLED).
   */
  encryption?: boolean;
  /**
   * Passphrase (or several, the first encrypts) for scrypt-wrapped data keys.
   * Setting a key turns encryption on. Default: no encryption.
   */
  encryptionKey?: string | NamedPassphrase;
  /** X25519 public keys (`vhbk-pub-…` from `generateRecipientKeyPair`): backup hosts need no decryption key. */
  encryptionRecipients?: string[];
  /** Extra keys tried on read (old passphrases, `vhbk-sec-…` private keys) so keys can rotate. */
  decryptionKeys?: Array<string | NamedPassphrase>;
  /** scrypt cost log2(N) for passphrase keys. Default 15 (32 MiB, ~0.1 s). */
  scryptLogN?: number;
  /** Plaintext bytes per AES-GCM chunk. Default 256 KiB. */
  encryptionChunkSize?: number;
  /** Default `'zstd'` (measured: see README). */
  compression?: CompressionType;
  /** zstd level. Default 3. gzip level. Default 1. */
  compressionLevel?: number;
  /**
   * Path to the `zstd` program, used for compression when present (about 2x node's zstd here).
   * `false` always uses node:zlib. Default: `zstd` found on PATH, else node:zlib.
   */
  zstdProgram?: string | false;

  /**
   * Directory holding pg_dump, pg_restore, pg_basebackup, pg_verifybackup, psql (and `postgres` for physical
   * level-3 verification). Default: PATH, then the server major's Debian bin dir.
   */
  binDir?: string;
  /** Exact program paths, overriding `binDir`. */
  toolPaths?: Partial<Record<PgTool, string>>;
  /** Scratch space for directory-format dumps, physical backups and parallel restores. Default os.tmpdir(). */
  tempDir?: string;
  /** How long `createBackup` waits for another backup of the same database to finish, in ms. Default 0. */
  lockTimeoutMs?: number;
  /** Take per-table row counts in the dump's snapshot. Default true. */
  rowCounts?: boolean;
  /**
   * At most this many incremental backups follow a full one: an incremental
   * requested when the newest physical backup's chain already holds this many
   * is taken as a full backup instead (a warning is logged, and the result's
   * `incrementalBecameFull` says why). Each link makes a restore read and
   * combine one more backup, and retention keeps a whole chain. Default 7:
   * with one backup a day, a full one at least every 8th day, close to the
   * weekly full + daily incremental schedule pgBackRest users run. 1–63 (a
   * restore walks at most 64 backups).
   */
  incrementalMaxChain?: number;
  /** Storage folder of the WAL archive (`dbrs wal push`). Default `'wal'`; one per cluster when clusters share a storage. */
  walPrefix?: string;
  /** Server for level-3 restore tests. Default: a scratch database on the backed-up server. */
  verifyServerUrl?: string;

  logger?: Logger;
  metrics?: Metrics;
  audit?: AuditLog;
  /** Actor recorded in audit entries. Default `'db-backup'`. */
  actor?: string;
}

export interface CreateBackupOptions {
  type?: BackupType;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** pg_dump `-t` patterns. */
  tables?: string[];
  /** pg_dump `-T` patterns. */
  excludeTables?: string[];
  /** pg_dump `-n` patterns. */
  schemas?: string[];
  /** pg_dump `-N` patterns. */
  excludeSchemas?: string[];
  /** More than 1 switches to directory format with `-j` (needs temp disk; see README). Default 1. */
  jobs?: number;
  /** Also store roles and tablespaces via `pg_dumpall --globals-only`. Default false. */
  globals?: boolean;
  /** Called with each spawned tool's pid (fault injection, diagnostics). */
  onSpawn?: (info: { tool: PgTool; pid: number }) => void;
  /**
   * An incremental physical backup (pg_basebackup --incremental, PostgreSQL
   * 17+ with summarize_wal = on, pg_basebackup 17+) against the newest
   * physical backup of the same cluster in this database's folder; with none,
   * a full one is taken (manifest without `incremental`, a warning logged).
   * Refused up front below 17 (UNSUPPORTED), with summarize_wal off
   * (CONFIG_INVALID) and for a logical backup (INVALID_ARGUMENT). Restoring
   * it needs pg_combinebackup 17+. Default false.
   */
  incremental?: boolean;
}

export interface BackupResult {
  backupId: string;
  database: string;
  type: BackupType;
  /** Raw bytes produced by the tool. */
  sizeBytes: number;
  /** Bytes stored after compression and encryption. */
  storedBytes: number;
  durationMs: number;
  manifest: BackupManifest;
  /**
   * Set when an incremental was asked for and a full backup was taken: no
   * earlier physical backup (`no-parent`), the newest one's chain at
   * incrementalMaxChain (`chain-limit`), or its chain broken (`chain-broken`).
   */
  incrementalBecameFull?: { reason: 'no-parent' | 'chain-limit' | 'chain-broken'; message: string };
}
