// Public surface of @voicehive/db-backup. Nothing else is API.

export type { BackupManifest, ManifestObject, VerificationRecord } from './catalog/manifest.js';
export type {
  BackupInfo,
  CleanupOptions,
  CleanupResult,
  ListBackupsFilter,
  RestoreOptions,
  RestoreResult,
  VerifyOptions,
  VerifyResult,
} from './manager.js';
export { DatabaseBackupManager } from './manager.js';
export type { VerifyPointInTimeOptions, VerifyPointInTimeResult } from './operations/verify-point-in-time.js';
export type { WalVerifyResult } from './operations/wal.js';
export { generateRecipientKeyPair } from './pipeline/encryption/keys.js';
export type { RetentionCandidate, RetentionDecision, RetentionPlan, RetentionPolicy } from './retention/plan.js';
export { planRetention } from './retention/plan.js';
export type { BackupScheduleOptions } from './schedule.js';
export { backupTasks } from './schedule.js';
export type { AzureBlobStorageOptions } from './storage/azure.js';
export { AzureBlobStorage } from './storage/azure.js';
export type { GcsStorageOptions } from './storage/gcs.js';
export { GcsStorage } from './storage/gcs.js';
export type { LocalStorageOptions } from './storage/local.js';
export { LocalStorage } from './storage/local.js';
export type { S3StorageOptions } from './storage/s3.js';
export { S3Storage } from './storage/s3.js';
export type { BackupStorage, GetOptions, ListOptions, ObjectInfo, PutOptions } from './storage/types.js';
export { processAlive } from './tools/process-identity.js';
export type {
  BackupPhase,
  BackupResult,
  CompressionType,
  CreateBackupOptions,
  DatabaseBackupManagerOptions,
  GfsPolicy,
  NamedPassphrase,
  PgTool,
  ProgressEvent,
  ProgressStep,
} from './types.js';
export { BackupType, StorageType } from './types.js';
export type { ArchivedWal, FetchResult, PushResult, WalArchiveOptions } from './wal/archive.js';
export { WalArchive } from './wal/archive.js';
export type { WalGap } from './wal/continuity.js';
export type { WalKeyCacheOptions } from './wal/key-cache.js';
export type { WalFileKind, WalFileName } from './wal/names.js';
export { assertWalName, formatLsn, nextSegmentNames, parseLsn, parseWalName } from './wal/names.js';
export type { OpenedWalArchive } from './wal/open.js';
export { openWalArchive } from './wal/open.js';
export type { PointInTimeResult, ReachedPoint } from './wal/point-in-time.js';
export type { AsyncPushOptions, AsyncPushResult, StartedWorker } from './wal/push-async.js';
export { pushThroughWorker } from './wal/push-async.js';
export { fileIdentity } from './wal/push-identity.js';
export { lockHolder, WORKER_LOCK, WORKER_LOG, workerRunning } from './wal/push-lock.js';
export type { PushStatus } from './wal/push-status.js';
export { PushStatusFiles } from './wal/push-status.js';
export type { PushWorkerOptions, PushWorkerResult } from './wal/push-worker.js';
export { runPushWorker } from './wal/push-worker.js';
export type { RecoveryTarget } from './wal/recovery-target.js';
export type { RestorePoint } from './wal/restore-points.js';
export type { WalSpoolOptions } from './wal/spool.js';
export { WalSpool } from './wal/spool.js';
export type { WalVerifyRecord } from './wal/verify-record.js';
export type { BackupContinuity, RecoveryWindow } from './wal/window.js';
