import type { DatabaseBackupManager, WalVerifyResult } from '@voicehive/db-backup';
import type { Database } from '@voicehive/db-core';
import type { StatusIssue } from '../status/types.js';
import type { MaintenanceTask } from './feature.js';

/** How often the maintenance cycle checks the archive's continuity. */
const WAL_VERIFY_INTERVAL_MS = 3600_000;

/**
 * `backup.wal-verify`: `verifyWal()` (continuity of the archived WAL from
 * every retained physical backup, like `dbrs wal verify`) in the maintenance
 * cycle, and its last result as status issues. It does its work only when
 * WAL archiving is configured (archive_mode on); otherwise it completes at
 * once with `skipped`, so suites without an archive see no change.
 */
export function walVerifyTask(options: { database: Database; manager: DatabaseBackupManager }): {
  task: MaintenanceTask;
  issues(): StatusIssue[];
} {
  let last: WalVerifyResult | undefined;
  const task: MaintenanceTask = {
    name: 'backup.wal-verify',
    minIntervalMs: WAL_VERIFY_INTERVAL_MS,
    async run(signal) {
      const r = await options.database.query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode", [], {
        signal,
      });
      if (r.rows[0]?.mode === 'off') {
        last = undefined;
        return { skipped: 'WAL archiving is off (archive_mode)' };
      }
      last = await options.manager.verifyWal({ signal });
      return { ok: last.ok, gaps: last.gaps.length, unreachable: last.unreachable.length };
    },
  };
  return {
    task,
    issues() {
      if (!last || last.ok) return [];
      const gaps = last.gaps.map((g) => `${g.from}${g.to === g.from ? '' : `..${g.to}`} (timeline ${g.timeline})`);
      return [
        {
          severity: 'critical',
          component: 'backup',
          message: `The WAL archive is not continuous: ${[
            ...(gaps.length ? [`missing ${gaps.join(', ')}`] : []),
            ...(last.unreachable.length ? [`no start segment for ${last.unreachable.join(', ')}`] : []),
          ].join('; ')}. Point-in-time recovery past a gap is impossible.`,
          action:
            'Run `dbrs wal verify` and `dbrs wal status` (failing archive_command?), and take a new physical base backup (`dbrs backup create --type physical`) so recovery can start after the gap.',
        },
      ];
    },
  };
}
