import { DbrsError } from '@voicehive/db-core';
import type { BackupType, CompressionType } from '../kinds.js';

export const MANIFEST_NAME = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface ManifestObject {
  /** Stored name inside the backup folder, e.g. `dump.pgdump.zst.vhbk`. */
  name: string;
  /** The tool's file name before compression/encryption suffixes, e.g. `dump.pgdump`, `dir/toc.dat`, `base.tar`. */
  path: string;
  /** What it holds: `custom-dump`, `directory-file`, `globals`, `base-tar`, `wal-tar`, `backup-manifest`. */
  role: string;
  rawBytes: number;
  storedBytes: number;
  /** SHA-256 of the stored bytes. */
  sha256: string;
}

export interface VerificationRecord {
  level: 1 | 2 | 3;
  ok: boolean;
  at: string;
  durationMs: number;
  /** Level 3: measured time to restore (the recovery time objective actually achieved). */
  restoreDurationMs?: number;
  amcheck?: 'passed' | 'failed' | 'unavailable';
  /** Physical level 3: counts compared exactly (no write since they were taken). */
  rowCountsExact?: boolean;
  error?: string;
}

export interface BackupManifest {
  formatVersion: number;
  backupId: string;
  type: BackupType;
  database: string;
  status: 'completed';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** `superuser` (physical): the bootstrap superuser, used to connect to a restored copy. */
  server: { version: string; versionNum: number; systemIdentifier?: string; superuser?: string };
  tool: { name: string; version: string };
  /** pg_dump -Fc (single stream) or -Fd (one object per file). */
  format: 'custom' | 'directory' | 'tar';
  options: {
    tables?: string[];
    excludeTables?: string[];
    schemas?: string[];
    excludeSchemas?: string[];
    jobs?: number;
    globals?: boolean;
  };
  wal?: { startLsn?: string; endLsn?: string; currentLsn?: string; timeline?: number };
  /**
   * Set on an incremental physical backup: the backup whose backup_manifest
   * it was taken against (pg_basebackup --incremental). Restore combines the
   * chain with pg_combinebackup; retention keeps the chain.
   */
  incremental?: { parentBackupId: string };
  compression: CompressionType;
  encryption: { algorithm: 'aes-256-gcm-chunked'; keyIds: string[] } | null;
  sizes: { rawBytes: number; storedBytes: number };
  objects: ManifestObject[];
  /**
   * Exact row counts per `schema.table`, taken in the dump's snapshot
   * (physical: of the backed-up database, just before pg_basebackup).
   */
  rowCounts?: Record<string, number>;
  /**
   * Physical: the cluster's next transaction id when the counts were taken.
   * A restored copy with the same next xid saw no write since, so its counts
   * must match exactly; otherwise differences are reported, not failed.
   */
  rowCountsNextXid?: string;
  snapshotId?: string;
  verification?: VerificationRecord;
}

export function parseManifest(text: string, key: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DbrsError('INTEGRITY_FAILED', `Manifest ${key} is not valid JSON.`, { cause });
  }
  const m = value as Partial<BackupManifest>;
  if (
    !m ||
    typeof m !== 'object' ||
    typeof m.backupId !== 'string' ||
    !Array.isArray(m.objects) ||
    m.status !== 'completed'
  ) {
    throw new DbrsError('INTEGRITY_FAILED', `Manifest ${key} is missing required fields.`);
  }
  if ((m.formatVersion ?? 0) > MANIFEST_FORMAT) {
    throw new DbrsError(
      'UNSUPPORTED',
      `Manifest ${key} has format ${m.formatVersion}; this library reads ${MANIFEST_FORMAT}.`,
    );
  }
  return m as BackupManifest;
}
