import type { BackupManifest } from '../catalog/manifest.js';
import type { ArchivedWal, WalArchive } from './archive.js';
import { checkContinuity, type HistoryEntry, parseHistory, type WalGap } from './continuity.js';
import { lsnSegment, parseLsn } from './names.js';

export interface BackupContinuity {
  backupId: string;
  database: string;
  /** When the base backup finished: the earliest moment it can recover to. */
  from: Date;
  fromLsn: string;
  /** Newest moment reachable from it without a gap: when the last contiguous segment was archived. */
  to?: Date;
  timeline: number;
  lastSegment?: string;
  gaps: WalGap[];
}

export interface RecoveryWindow {
  /** Earliest recoverable moment: the oldest physical base backup's end. */
  earliest?: Date;
  /**
   * Newest recoverable moment: when the last segment reachable without a gap
   * from some base backup was archived. Commits after the last one in that
   * segment are not recoverable, so a time target at the very end may stop short.
   */
  latest?: Date;
  windowSeconds: number;
  /** Per timeline: the span of archived segments on it and the backups whose recovery ends on it. */
  timelines: Array<{
    timeline: number;
    firstSegment: string;
    lastSegment: string;
    segments: number;
    lastArchivedAt: Date;
  }>;
  backups: BackupContinuity[];
  /** Distinct gaps (missing segments) after some retained base backup. */
  gaps: WalGap[];
  /** `wal push` refusals recorded (a different file under an archived name). */
  conflicts: number;
}

export async function readHistories(archive: WalArchive, wal: ArchivedWal[], signal?: AbortSignal) {
  const histories = new Map<number, HistoryEntry[]>();
  for (const w of wal) {
    if (w.kind === 'history') histories.set(w.timeline, parseHistory(await archive.readText(w.name, signal)));
  }
  return histories;
}

/** The recovery window from the physical backups' manifests and the archived WAL. */
export async function recoveryWindow(
  archive: WalArchive,
  backups: BackupManifest[],
  signal?: AbortSignal,
): Promise<RecoveryWindow> {
  const wal = await archive.list({ signal });
  const histories = await readHistories(archive, wal, signal);
  const physical = backups.filter((b) => b.type === 'physical' && b.wal?.endLsn && b.wal.timeline);
  const perBackup: BackupContinuity[] = physical.map((b) => {
    const c = checkContinuity({
      wal,
      histories,
      startTimeline: b.wal!.timeline!,
      startSegment: lsnSegment(parseLsn(b.wal!.endLsn!)),
    });
    return {
      backupId: b.backupId,
      database: b.database,
      from: new Date(b.finishedAt),
      fromLsn: b.wal!.endLsn!,
      ...(c.lastContiguous ? { to: c.lastContiguous.archivedAt, lastSegment: c.lastContiguous.name } : {}),
      timeline: c.timeline,
      gaps: c.gaps,
    };
  });
  const gaps = new Map<string, WalGap>();
  for (const b of perBackup) for (const g of b.gaps) gaps.set(`${g.from}-${g.to}`, g);
  const earliest = perBackup.length ? new Date(Math.min(...perBackup.map((b) => b.from.getTime()))) : undefined;
  const ends = perBackup.filter((b) => b.to).map((b) => Math.max(b.to!.getTime(), b.from.getTime()));
  const latest = ends.length ? new Date(Math.max(...ends)) : earliest;
  const timelines = new Map<number, RecoveryWindow['timelines'][number]>();
  for (const w of wal) {
    if (w.kind !== 'segment') continue;
    const t = timelines.get(w.timeline);
    if (!t) {
      timelines.set(w.timeline, {
        timeline: w.timeline,
        firstSegment: w.name,
        lastSegment: w.name,
        segments: 1,
        lastArchivedAt: w.archivedAt,
      });
    } else {
      t.lastSegment = w.name;
      t.segments++;
      if (w.archivedAt > t.lastArchivedAt) t.lastArchivedAt = w.archivedAt;
    }
  }
  return {
    ...(earliest ? { earliest } : {}),
    ...(latest ? { latest } : {}),
    windowSeconds: earliest && latest ? Math.max(0, (latest.getTime() - earliest.getTime()) / 1000) : 0,
    timelines: [...timelines.values()],
    backups: perBackup,
    gaps: [...gaps.values()],
    conflicts: (await archive.conflicts(signal)).length,
  };
}
