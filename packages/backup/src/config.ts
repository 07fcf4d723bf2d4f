import { DbrsError } from '@voicehive/db-core';
import { DEFAULT_INCREMENTAL_MAX_CHAIN } from './dump/incremental-gate.js';
import { assertCompression, findZstdProgram } from './pipeline/compression.js';
import { MAX_CHAIN } from './restore/chain.js';
import { assertPolicy } from './retention/plan.js';
import { BackupType, type CompressionType, type DatabaseBackupManagerOptions, StorageType } from './types.js';

export interface ResolvedSettings {
  backupType: BackupType;
  compression: CompressionType;
  compressionLevel: number | undefined;
  zstdProgram: string | false;
  tempDir: string | undefined;
  lockTimeoutMs: number;
  rowCounts: boolean;
  incrementalMaxChain: number;
  incompleteGraceMs: number;
  actor: string;
}

/** Validates a DatabaseBackupManagerOptions and fills in the documented defaults. Errors name the key, never a secret. */
export function resolveSettings(config: DatabaseBackupManagerOptions): ResolvedSettings {
  if (config === null || typeof config !== 'object') {
    throw new DbrsError('CONFIG_INVALID', 'The backup config must be an object.');
  }
  const backupType = config.backupType ?? BackupType.LOGICAL;
  if (!Object.values(BackupType).includes(backupType)) {
    throw new DbrsError('CONFIG_INVALID', `backupType "${String(backupType)}" is not known.`, {
      hint: "Use 'logical' or 'physical'.",
    });
  }
  if (config.storageType !== undefined && !Object.values(StorageType).includes(config.storageType)) {
    throw new DbrsError('CONFIG_INVALID', `storageType "${String(config.storageType)}" is not known.`, {
      hint: "Use 'local', 's3', 'azure' or 'gcs'.",
    });
  }
  const compression = config.compression ?? 'zstd';
  assertCompression(compression);
  if (config.compressionLevel !== undefined) {
    const max = compression === 'gzip' ? 9 : 19;
    if (!Number.isInteger(config.compressionLevel) || config.compressionLevel < 1 || config.compressionLevel > max) {
      throw new DbrsError(
        'CONFIG_INVALID',
        `compressionLevel ${config.compressionLevel} is out of range for ${compression}.`,
        {
          hint: `Use 1–${max}.`,
        },
      );
    }
  }
  const hasKey = !!config.encryptionKey || (config.encryptionRecipients?.length ?? 0) > 0;
  if (config.encryption === true && !hasKey) {
    throw new DbrsError(
      'CONFIG_INVALID',
      'Encryption is enabled but no encryptionKey or encryptionRecipients is set.',
      {
        hint: 'Set BACKUP_ENCRYPTION_KEY (a passphrase) or encryptionRecipients (vhbk-pub-… keys), or turn encryption off.',
      },
    );
  }
  assertPolicy({
    retentionDays: config.retentionDays,
    keepLast: config.keepLast,
    gfs: config.gfs,
    incompleteGraceMs: config.incompleteGraceMs,
  });
  const incrementalMaxChain = config.incrementalMaxChain ?? DEFAULT_INCREMENTAL_MAX_CHAIN;
  if (!Number.isInteger(incrementalMaxChain) || incrementalMaxChain < 1 || incrementalMaxChain >= MAX_CHAIN) {
    throw new DbrsError('CONFIG_INVALID', `incrementalMaxChain ${String(incrementalMaxChain)} is out of range.`, {
      hint: `Use a whole number from 1 to ${MAX_CHAIN - 1} (incrementals after one full backup; a restore walks at most ${MAX_CHAIN} backups). Default ${DEFAULT_INCREMENTAL_MAX_CHAIN}.`,
    });
  }
  const zstdProgram = config.zstdProgram === false ? false : (config.zstdProgram ?? findZstdProgram() ?? false);
  return {
    backupType,
    compression,
    compressionLevel: config.compressionLevel,
    zstdProgram,
    tempDir: config.tempDir,
    lockTimeoutMs: config.lockTimeoutMs ?? 0,
    rowCounts: config.rowCounts ?? true,
    incrementalMaxChain,
    incompleteGraceMs: config.incompleteGraceMs ?? 86_400_000,
    actor: config.actor ?? 'db-backup',
  };
}
