import { DbrsError, type TaskDefinition } from '@voicehive/db-core';
import type { BackupType } from './kinds.js';
import type { DatabaseBackupManager } from './manager.js';

export interface BackupScheduleOptions {
  /** Cron for createBackup, e.g. `0 3 * * *`. Default: no backup task. */
  backupCron?: string;
  /** Cron for verifying the newest backup not yet verified. Default: no verify task. */
  verifyCron?: string;
  /** Level of scheduled verifications. Default 3 (restore test). */
  verifyLevel?: 1 | 2 | 3;
  /** Cron for cleanupOldBackups. Default: no cleanup task. */
  cleanupCron?: string;
  /** Databases to back up. Default: the manager's own database. */
  databases?: string[];
  type?: BackupType;
  /** Only the leader runs the tasks (the scheduler's LeaderLock). Default true. */
  leaderOnly?: boolean;
}

/**
 * Task definitions for core's Scheduler (`scheduler.add(...)`): scheduled
 * backups, restore-test verifications and retention. Overlap is prevented by
 * the scheduler, and a second host is kept out by the per-database backup lock.
 */
export function backupTasks(manager: DatabaseBackupManager, options: BackupScheduleOptions): TaskDefinition[] {
  const leaderOnly = options.leaderOnly ?? true;
  const tasks: TaskDefinition[] = [];
  if (options.backupCron) {
    tasks.push({
      name: 'backup:create',
      cron: options.backupCron,
      leaderOnly,
      run: async ({ signal }) => {
        const targets = options.databases?.length ? options.databases : [undefined];
        const results = [];
        for (const db of targets) results.push(await manager.createBackup(db, { signal, type: options.type }));
        return results.map((r) => r.backupId);
      },
    });
  }
  if (options.verifyCron) {
    tasks.push({
      name: 'backup:verify',
      cron: options.verifyCron,
      leaderOnly,
      run: async ({ signal }) => {
        const [newest] = await manager.listBackups({
          signal,
          limit: 1,
          ...(options.databases?.length === 1 ? { database: options.databases[0] } : {}),
        });
        if (!newest) return undefined;
        const result = await manager.verifyBackup(newest.backupId, { level: options.verifyLevel ?? 3, signal });
        if (!result.ok) {
          throw new DbrsError(
            'VERIFY_FAILED',
            `Scheduled verification of ${newest.backupId} failed: ${result.error?.message}`,
            {
              details: { backupId: newest.backupId, code: result.error?.code },
            },
          );
        }
        return result;
      },
    });
  }
  if (options.cleanupCron) {
    tasks.push({
      name: 'backup:cleanup',
      cron: options.cleanupCron,
      leaderOnly,
      run: ({ signal }) => manager.cleanupOldBackups({ signal }),
    });
  }
  return tasks;
}
