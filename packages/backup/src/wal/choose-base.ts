import { DbrsError } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { DEFAULT_SEGMENT_BYTES, formatLsn, parseLsn, parseWalName, segmentNumber } from './names.js';
import { describeTarget, type ResolvedTarget } from './recovery-target.js';
import type { RecoveryWindow } from './window.js';

function windowText(w: RecoveryWindow): string {
  if (!w.earliest) return 'there is no physical base backup with archived WAL yet';
  return `the recovery window is ${w.earliest.toISOString()} to ${(w.latest ?? w.earliest).toISOString()}`;
}

/**
 * The newest physical base backup that ends before the target: recovery
 * replays forward only, so a backup finished after the target can never
 * reach it (the mistake pgBackRest's FAQ warns about, made impossible here).
 * `requested` is a backup id (checked to end before the target) or 'latest'.
 * A target outside the window fails with the window in the message.
 */
export function chooseBaseBackup(o: {
  backups: BackupManifest[];
  requested: string;
  target: ResolvedTarget;
  /** For a named target: the restore point's LSN. */
  targetLsn?: bigint;
  window: RecoveryWindow;
}): BackupManifest {
  const physical = o.backups
    .filter((b) => b.type === 'physical' && b.wal?.endLsn)
    .sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1));
  const what = describeTarget(o.target);
  if (o.requested !== 'latest' && !physical.some((b) => b.backupId === o.requested)) {
    const any = o.backups.find((b) => b.backupId === o.requested);
    throw new DbrsError(
      any ? 'INVALID_ARGUMENT' : 'NOT_FOUND',
      any
        ? `Backup ${o.requested} is a ${any.type} backup; recovery to a point needs a physical base backup.`
        : `No completed backup with id ${o.requested}.`,
      { hint: "Pass 'latest' to let the restore pick the newest physical backup before the target." },
    );
  }
  const lsn = o.target.kind === 'lsn' ? o.target.lsn : o.targetLsn;
  const endsBefore = (b: BackupManifest): boolean => {
    if (o.target.kind === 'time') return new Date(b.finishedAt) < o.target.time;
    if (lsn !== undefined) return parseLsn(b.wal!.endLsn!) <= lsn;
    if (o.target.kind === 'xid') {
      // The backup must start before the transaction did: its recorded next xid is at most the target.
      return b.rowCountsNextXid !== undefined && BigInt(b.rowCountsNextXid) <= o.target.xid;
    }
    return true;
  };
  let candidates = physical.filter(endsBefore);
  if (o.target.kind === 'xid' && candidates.length === 0 && physical.every((b) => b.rowCountsNextXid === undefined)) {
    // Without recorded xids, the oldest backup replays the most and is the only safe guess.
    candidates = physical.slice(-1);
  }
  if (o.requested !== 'latest') {
    const chosen = physical.find((b) => b.backupId === o.requested)!;
    if (!candidates.includes(chosen)) {
      throw new DbrsError(
        'INVALID_ARGUMENT',
        `Backup ${o.requested} ends after ${what} (it finished ${chosen.finishedAt}, at LSN ${chosen.wal!.endLsn}); recovery only moves forward from a backup's end.`,
        { hint: `Use an older backup, or 'latest' to pick the newest one before the target; ${windowText(o.window)}.` },
      );
    }
    return chosen;
  }
  if (candidates.length === 0) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `${capital(what)} is before the earliest recoverable moment: ${windowText(o.window)}.`,
      {
        hint: 'Pick a target inside the window; an earlier one needs an older physical base backup.',
        details: { earliest: o.window.earliest?.toISOString(), latest: o.window.latest?.toISOString() },
      },
    );
  }
  assertNotAfterWindow(o.target, lsn, o.window, candidates[0]!);
  return candidates[0]!;
}

function assertNotAfterWindow(
  target: ResolvedTarget,
  lsn: bigint | undefined,
  window: RecoveryWindow,
  chosen: BackupManifest,
): void {
  const reach = window.backups.find((b) => b.backupId === chosen.backupId);
  const after = (why: string) =>
    new DbrsError(
      'INVALID_ARGUMENT',
      `${capital(describeTarget(target))} is after the newest archived WAL${why}: ${windowText(window)}.`,
      {
        hint: reach?.gaps.length
          ? `WAL is missing from ${reach.gaps[0]!.from} (dbrs wal verify): a target past a gap cannot be reached from this backup.`
          : 'Wait for the WAL holding it to be archived (SELECT pg_switch_wal() forces the current segment out), or pick an earlier target.',
        details: { earliest: window.earliest?.toISOString(), latest: window.latest?.toISOString() },
      },
    );
  if (target.kind === 'time' && window.latest && target.time > window.latest) throw after('');
  if (lsn !== undefined && reach) {
    const last = reach.lastSegment ? parseWalName(reach.lastSegment) : undefined;
    const reachable = last ? (segmentNumber(last) + 1n) * BigInt(DEFAULT_SEGMENT_BYTES) : parseLsn(reach.fromLsn);
    if (lsn > reachable) throw after(` (reachable up to ${formatLsn(reachable)})`);
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
