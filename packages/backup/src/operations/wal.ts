import type { BackupManifest } from '../catalog/manifest.js';
import type { FetchResult, PushResult } from '../wal/archive.js';
import type { WalGap } from '../wal/continuity.js';
import {
  createRestorePoint as createPoint,
  listRestorePoints as listPoints,
  type RestorePoint,
} from '../wal/restore-points.js';
import { readVerifyRecord, type WalVerifyRecord, writeVerifyRecord } from '../wal/verify-record.js';
import { walMetrics } from '../wal/wal-metrics.js';
import { type RecoveryWindow, recoveryWindow } from '../wal/window.js';
import type { OperationContext } from './context.js';

export function archiveWal(
  ctx: OperationContext,
  path: string,
  options: { signal?: AbortSignal },
): Promise<PushResult> {
  return ctx.wal.push(path, options);
}

export function fetchWal(
  ctx: OperationContext,
  name: string,
  dest: string,
  options: { signal?: AbortSignal },
): Promise<FetchResult> {
  return ctx.wal.fetch(name, dest, options);
}

export async function createRestorePoint(
  ctx: OperationContext,
  name: string,
  options: { signal?: AbortSignal },
): Promise<RestorePoint> {
  const point = await createPoint(ctx.db, ctx.storage, ctx.wal.prefix, name, options.signal);
  ctx.logger.info({ event: 'restore_point_created', ...point }, 'restore point created');
  await ctx.audit('wal.restore-point', name, 'success', { lsn: point.lsn });
  return point;
}

export function listRestorePoints(ctx: OperationContext, options: { signal?: AbortSignal }): Promise<RestorePoint[]> {
  return listPoints(ctx.storage, ctx.wal.prefix, options.signal);
}

/** Physical manifests of every database: a physical backup is the whole cluster. */
export async function physicalManifests(ctx: OperationContext, signal?: AbortSignal): Promise<BackupManifest[]> {
  const scan = await ctx.catalog.scan({ signal });
  return scan.backups.filter((b) => b.type === 'physical');
}

export async function getRecoveryWindow(
  ctx: OperationContext,
  options: { signal?: AbortSignal },
): Promise<RecoveryWindow> {
  const window = await recoveryWindow(ctx.wal, await physicalManifests(ctx, options.signal), options.signal);
  if (ctx.config.metrics) {
    const m = walMetrics(ctx.config.metrics);
    const byTimeline = new Map<number, number>();
    for (const b of window.backups) {
      if (!b.to) continue;
      const span = Math.max(0, (b.to.getTime() - b.from.getTime()) / 1000);
      byTimeline.set(b.timeline, Math.max(byTimeline.get(b.timeline) ?? 0, span));
    }
    m.windowSeconds.reset();
    for (const [tl, secs] of byTimeline) m.windowSeconds.set({ timeline: String(tl) }, secs);
    m.gaps.reset();
    const gapsByTimeline = new Map<number, number>();
    for (const g of window.gaps) gapsByTimeline.set(g.timeline, (gapsByTimeline.get(g.timeline) ?? 0) + g.missing);
    for (const t of window.timelines) m.gaps.set({ timeline: String(t.timeline) }, gapsByTimeline.get(t.timeline) ?? 0);
  }
  return window;
}

export interface WalVerifyResult {
  ok: boolean;
  /** Per retained physical base backup: where continuous recovery from it ends and the gaps after it. */
  backups: RecoveryWindow['backups'];
  gaps: WalGap[];
  /** Physical backups whose own end segment is not archived (continuity cannot start). */
  unreachable: string[];
  window: RecoveryWindow;
  /** When the check finished (ISO 8601). */
  at: string;
  /** The outcome as stored next to the archive, what lastWalVerify() returns until the next check. */
  record: WalVerifyRecord;
}

/**
 * Like WAL-G's wal-verify integrity: from each retained physical backup's
 * end to the newest archived segment, every segment must be in the archive
 * (following timeline switches). Missing ones are gaps: recovery cannot
 * pass them, so every moment after the first gap is lost for that backup.
 * The outcome is stored next to the archive (lastWalVerify reads it).
 */
export async function verifyWal(ctx: OperationContext, options: { signal?: AbortSignal }): Promise<WalVerifyResult> {
  const window = await getRecoveryWindow(ctx, options);
  const unreachable = window.backups.filter((b) => !b.lastSegment).map((b) => b.backupId);
  const ok = window.gaps.length === 0 && unreachable.length === 0 && window.backups.length > 0;
  ctx.logger[ok ? 'info' : 'error'](
    { event: 'wal_verified', ok, gaps: window.gaps, unreachable },
    ok ? 'WAL archive is continuous' : 'WAL archive has gaps',
  );
  const record: WalVerifyRecord = {
    at: new Date().toISOString(),
    ok,
    gaps: window.gaps,
    unreachable,
    backups: window.backups.length,
  };
  // Kept next to the archive for other processes (dbrs status); the check itself stands without it.
  await writeVerifyRecord(ctx.storage, ctx.wal.prefix, record, options.signal).catch((err) =>
    ctx.logger.warn({ event: 'wal_verify_record_failed', err }, 'could not store the WAL verification result'),
  );
  return { ok, backups: window.backups, gaps: window.gaps, unreachable, window, at: record.at, record };
}

/** The last verifyWal() outcome any process stored against this storage; undefined when none ran yet. */
export function lastWalVerify(
  ctx: OperationContext,
  options: { signal?: AbortSignal },
): Promise<WalVerifyRecord | undefined> {
  return readVerifyRecord(ctx.storage, ctx.wal.prefix, options.signal);
}
