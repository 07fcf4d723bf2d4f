import type { BackupManifest } from '../catalog/manifest.js';
import type { BackupType } from '../kinds.js';
import type { OperationContext } from './context.js';

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

/** Completed backups (manifest present), newest first. Incomplete uploads are never listed. */
export async function listBackups(ctx: OperationContext, filter: ListBackupsFilter): Promise<BackupInfo[]> {
  const scan = await ctx.catalog.scan({ database: filter.database, signal: filter.signal });
  let list = scan.backups.map(toInfo);
  const { type, since, verified, limit } = filter;
  if (type) list = list.filter((b) => b.type === type);
  if (since) list = list.filter((b) => b.startedAt >= since);
  if (verified !== undefined) list = list.filter((b) => b.verified === verified);
  return limit !== undefined ? list.slice(0, limit) : list;
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
