import type { DatabaseBackupManager, WalVerifyRecord } from '@voicehive/db-backup';
import type { Database, Logger } from '@voicehive/db-core';
import type { StatusIssue } from '../status/types.js';
import type { MaintenanceTask } from './feature.js';

/** How often the maintenance cycle checks the archive's continuity. */
const WAL_VERIFY_INTERVAL_MS = 3600_000;

/**
 * `backup.wal-verify`: `verifyWal()` (continuity of the archived WAL from
 * every retained physical backup, like `dbrs wal verify`) in the maintenance
 * cycle, and its last result as status issues. It does its work only when
 * WAL archiving is configured (archive_mode on); otherwise it completes at
 * once with `skipped`. The result is stored next to the archive by
 * verifyWal(), so a status read in another process (`dbrs status`, a second
 * instance) sees it too. Reading it costs a storage request per status, so
 * none is made while archiving is off: a stored gap is then no one's
 * concern, and most databases run without archiving.
 */
export function walVerifyTask(options: { database: Database; manager: DatabaseBackupManager; logger: Logger }): {
  task: MaintenanceTask;
  issues(signal?: AbortSignal): Promise<StatusIssue[]>;
} {
  // This process's own last cycle: a result, or that it skipped (archive_mode off).
  let last: WalVerifyRecord | undefined;
  let archivingOff = false;
  const task: MaintenanceTask = {
    name: 'backup.wal-verify',
    minIntervalMs: WAL_VERIFY_INTERVAL_MS,
    async run(signal) {
      if (!(await archiving(options.database, signal))) {
        last = undefined;
        archivingOff = true;
        return { skipped: 'WAL archiving is off (archive_mode)' };
      }
      const v = await options.manager.verifyWal({ signal });
      last = v.record;
      archivingOff = false;
      return { ok: v.ok, gaps: v.gaps.length, unreachable: v.unreachable.length };
    },
  };
  return {
    task,
    async issues(signal) {
      // Archiving was off at the last check: one cheap query says whether it still is (turning it on takes a
      // restart), instead of a storage request per status; once it is on, gaps show before the next check.
      if (archivingOff) {
        if (!(await archiving(options.database, signal))) return [];
        archivingOff = false;
      }
      const newest = newer(await readStored(options.manager, options.logger, signal), last);
      if (!newest || newest.ok) return [];
      return [walGapIssue(newest)];
    },
  };
}

async function archiving(database: Database, signal?: AbortSignal): Promise<boolean> {
  const r = await database.query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode", [], { signal });
  return r.rows[0]?.mode !== 'off';
}

/**
 * The result stored next to the archive (written by whichever process
 * verified last: another sidecar instance, `dbrs wal verify`). A storage
 * that cannot be read, or a record that is not valid, leaves this process's
 * own result, and says so; an abort is the caller's.
 */
function readStored(
  manager: DatabaseBackupManager,
  logger: Logger,
  signal?: AbortSignal,
): Promise<WalVerifyRecord | undefined> {
  return manager.lastWalVerify({ signal }).catch((err) => {
    if (signal?.aborted) throw err;
    logger.warn({ event: 'wal_verify_record_unreadable', err }, 'the stored WAL verify result could not be read');
    return undefined;
  });
}

function newer(a: WalVerifyRecord | undefined, b: WalVerifyRecord | undefined): WalVerifyRecord | undefined {
  if (!a || !b) return a ?? b;
  return a.at > b.at ? a : b;
}

function walGapIssue(last: WalVerifyRecord): StatusIssue {
  const gaps = last.gaps.map((g) => `${g.from}${g.to === g.from ? '' : `..${g.to}`} (timeline ${g.timeline})`);
  return {
    severity: 'critical',
    component: 'backup',
    message: `The WAL archive is not continuous: ${[
      ...(gaps.length ? [`missing ${gaps.join(', ')}`] : []),
      ...(last.unreachable.length ? [`no start segment for ${last.unreachable.join(', ')}`] : []),
    ].join('; ')} (checked ${last.at}). Point-in-time recovery past a gap is impossible.`,
    action:
      'Run `dbrs wal verify` and `dbrs wal status` (failing archive_command?), and take a new physical base backup (`dbrs backup create --type physical`) so recovery can start after the gap.',
  };
}
