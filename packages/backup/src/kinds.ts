// Leaf module: the backup's vocabulary, imported by the catalog, pipeline and
// manager alike. It imports nothing, so no import cycle can run through it.

/** What kind of backup: `pg_dump` (logical) or `pg_basebackup` (physical). */
export const BackupType = {
  LOGICAL: 'logical',
  PHYSICAL: 'physical',
} as const;
export type BackupType = (typeof BackupType)[keyof typeof BackupType];

/** Where backups are stored. */
export const StorageType = {
  LOCAL: 'local',
  S3: 's3',
  AZURE: 'azure',
  GCS: 'gcs',
} as const;
export type StorageType = (typeof StorageType)[keyof typeof StorageType];

export type CompressionType = 'zstd' | 'gzip' | 'none';

/** Grandfather-father-son counts: keep the newest backup of each of the last N days / ISO weeks / months. */
export interface GfsPolicy {
  daily?: number;
  weekly?: number;
  monthly?: number;
}

/** A passphrase with an explicit id (the id goes into manifests and object headers). */
export interface NamedPassphrase {
  id: string;
  passphrase: string;
}

/** Client tools, plus `postgres`: the server binary a physical level-3 verification starts (exact major). */
export type PgTool =
  | 'pg_dump'
  | 'pg_dumpall'
  | 'pg_restore'
  | 'pg_basebackup'
  | 'pg_verifybackup'
  | 'pg_combinebackup'
  | 'psql'
  | 'postgres';

export type BackupPhase = 'prepare' | 'dump' | 'upload' | 'manifest' | 'download' | 'restore' | 'verify' | 'cleanup';

/**
 * Where a restore (or a verification) is inside its phase: pg_restore's
 * sections as its `--verbose` lines name them (schema, then data, then
 * indexes, then constraints and triggers), and a verification's own checks.
 */
export type ProgressStep =
  | 'checksums'
  | 'readable'
  | 'schema'
  | 'data'
  | 'indexes'
  | 'constraints'
  | 'amcheck'
  | 'row-counts';

export interface ProgressEvent {
  phase: BackupPhase;
  /** Raw (uncompressed, unencrypted) bytes processed so far in this phase. */
  bytes: number;
  /** Bytes per second since the phase started. */
  rate: number;
  /** Dump: bytes after compression (and encryption) so far. */
  storedBytes?: number;
  /** Dump: bytes the storage has accepted so far. */
  uploadedBytes?: number;
  /** Restore and verify: the step inside the phase. */
  step?: ProgressStep;
  /** With step: objects finished in this step so far (tables loaded, indexes built, constraints added). */
  items?: number;
}
