import type { BackupManifest } from '../catalog/manifest.js';
import type { ArchivedWal } from './archive.js';
import { DEFAULT_SEGMENT_BYTES, lsnSegment, parseLsn, parseWalName, segmentName, segmentNumber } from './names.js';

export interface WalRetentionPlan {
  /** The oldest retained physical base backup: recovery never starts before its start segment. */
  oldestBackupId?: string;
  /** First segment a retained base backup needs (its start, on its timeline); everything from here on stays. */
  neededFrom?: string;
  /** Per retained physical backup, the first segment its recovery reads. */
  neededBy: Array<{ backupId: string; fromSegment: string }>;
  /** Files before `neededFrom` (segments, partial segments, .backup labels): no retained backup can use them. */
  remove: ArchivedWal[];
  /** Files kept: from `neededFrom` on, and every timeline history (tiny, needed to follow timelines). */
  keep: ArchivedWal[];
  /** Why nothing is removed, when nothing is. */
  reason?: string;
}

/**
 * Which archived WAL retention may remove once the backups it keeps are
 * known: recovery from a base backup reads WAL from the segment holding its
 * start LSN onward (on its timeline and any later one), so a file whose
 * position lies before the oldest retained base backup's start segment can
 * serve no restore. History files are always kept. Without a retained
 * physical backup nothing is removed (the archive is never trimmed on a
 * guess). Pure.
 */
export function planWalRetention(wal: readonly ArchivedWal[], retained: readonly BackupManifest[]): WalRetentionPlan {
  const bases = retained
    .filter((m) => m.type === 'physical' && m.wal?.startLsn && m.wal.timeline)
    .map((m) => {
      const segBytes = wal.find((w) => w.segmentBytes)?.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
      const segno = lsnSegment(parseLsn(m.wal!.startLsn!), segBytes);
      return { backupId: m.backupId, segno, fromSegment: segmentName(m.wal!.timeline!, segno, segBytes), segBytes };
    })
    .sort((a, b) => (a.segno < b.segno ? -1 : a.segno > b.segno ? 1 : 0));
  const neededBy = bases.map((b) => ({ backupId: b.backupId, fromSegment: b.fromSegment }));
  const oldest = bases[0];
  if (!oldest) {
    return {
      neededBy,
      remove: [],
      keep: [...wal],
      reason: 'no retained physical base backup: archived WAL is kept until one exists',
    };
  }
  const remove: ArchivedWal[] = [];
  const keep: ArchivedWal[] = [];
  for (const w of wal) {
    const file = parseWalName(w.name);
    const positioned = file && file.kind !== 'history';
    const before = positioned && segmentNumber(file, w.segmentBytes ?? oldest.segBytes) < oldest.segno;
    (before ? remove : keep).push(w);
  }
  return { oldestBackupId: oldest.backupId, neededFrom: oldest.fromSegment, neededBy, remove, keep };
}
