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
export { generateRecipientKeyPair } from './pipeline/encryption/keys.js';
export type { RetentionCandidate, RetentionDecision, RetentionPlan, RetentionPolicy } from './retention/plan.js';
export { planRetention } from './retention/plan.js';
export type { BackupScheduleOptions } from './schedule.js';
export { backupTasks } from './schedule.js';
export type { AzureBlobStorageOptions } from './storage/azure.js';
export { AzureBlobStorage } from './storage/azure.js';
export type { LocalStorageOptions } from './storage/local.js';
export { LocalStorage } from './storage/local.js';
export type { S3StorageOptions } from './storage/s3.js';
export { S3Storage } from './storage/s3.js';
export type { BackupStorage, GetOptions, ListOptions, ObjectInfo, PutOptions } from './storage/types.js';
export type {
  BackupConfig,
  BackupPhase,
  BackupResult,
  CompressionType,
  CreateBackupOptions,
  GfsPolicy,
  NamedPassphrase,
  PgTool,
  ProgressEvent,
} from './types.js';
export { BackupType, StorageType } from './types.js';
