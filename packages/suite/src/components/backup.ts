import { type BackupInfo, DatabaseBackupManager, type DatabaseBackupManagerOptions } from '@voicehive/db-backup';
import { type Logger, silentLogger } from '@voicehive/db-core';
import { exportBackupState } from '../metrics/backup-state.js';
import type { BackupRow, StatusIssue } from '../status/types.js';
import type {
  FeatureComponent,
  FeatureContext,
  FeatureFactoryResult,
  FeatureStatus,
  MaintenanceTask,
} from './feature.js';
import { lastScheduledRun, scheduleIntervalMs } from './schedule.js';
import { walVerifyTask } from './wal-verify-task.js';

/** Level of the maintenance cycle's verification of the newest backup: 3 is a real restore test. */
const VERIFY_LEVEL = 3;

/** What the suite runs with, from the `backup` section. */
export interface BackupPlan {
  manager: DatabaseBackupManagerOptions;
  /** pg_dump / pg_restore jobs for scheduled backups and restore tests. */
  jobs: number;
  /** Cron: when a new backup is due. */
  schedule: string;
  /** Cron: when the newest backup's restore test is due. */
  verifySchedule: string;
  /** How `dbrs wal push` archives: in its own process, or through the background worker. */
  walPush: WalPushPlan;
}

export interface WalPushPlan {
  async: boolean;
  /** Unset: `pg_wal/.dbrs-push` under the data directory archive_command runs in. */
  spoolPath: string | undefined;
  timeoutSeconds: number;
  jobs: number;
}

/**
 * The backup manager's options and the suite's schedule from the `backup`
 * section. Every key is destructured and consumed; `unconsumed` must be
 * empty, so a key added to the schema without a use here is a compile error.
 */
export function backupPlan(ctx: Pick<FeatureContext, 'config' | 'logger' | 'metrics' | 'audit'>): BackupPlan {
  const {
    enabled: _builtWhenEnabled,
    backupType,
    storageType,
    localPath,
    s3Bucket,
    s3Region,
    s3Endpoint,
    s3Prefix,
    s3ForcePathStyle,
    s3AccessKeyId,
    s3SecretAccessKey,
    azureContainer,
    azureConnectionString,
    gcsBucket,
    gcsPrefix,
    gcsProjectId,
    gcsApiEndpoint,
    retentionDays,
    keepLast,
    gfs,
    schedule,
    verifySchedule,
    compression,
    encryptionEnabled,
    encryptionKey,
    encryptionRecipients,
    decryptionKeys,
    jobs,
    incrementalMaxChain,
    walPushAsync,
    walSpoolPath,
    walPushTimeout,
    walPushJobs,
    ...unconsumed
  } = ctx.config.backup;
  unconsumed satisfies Record<string, never>;
  const manager: DatabaseBackupManagerOptions = {
    backupType,
    storageType,
    localPath,
    s3Bucket,
    s3Region,
    s3Endpoint,
    s3Prefix,
    s3ForcePathStyle,
    ...(s3AccessKeyId ? { s3AccessKeyId } : {}),
    ...(s3SecretAccessKey ? { s3SecretAccessKey } : {}),
    azureContainer,
    azureConnectionString,
    gcsBucket,
    gcsPrefix,
    gcsProjectId,
    gcsApiEndpoint,
    retentionDays,
    keepLast,
    incrementalMaxChain,
    ...(gfs ? { gfs: { ...gfs } } : {}),
    compression,
    ...(encryptionEnabled !== undefined ? { encryption: encryptionEnabled } : {}),
    ...(encryptionKey ? { encryptionKey } : {}),
    ...(encryptionRecipients.length ? { encryptionRecipients: [...encryptionRecipients] } : {}),
    ...(decryptionKeys.length ? { decryptionKeys: [...decryptionKeys] } : {}),
    logger: ctx.logger,
    metrics: ctx.metrics,
    audit: ctx.audit,
    actor: 'suite',
  };
  const walPush = { async: walPushAsync, spoolPath: walSpoolPath, timeoutSeconds: walPushTimeout, jobs: walPushJobs };
  return { manager, jobs, schedule, verifySchedule, walPush };
}

/**
 * The plan for a short-lived CLI process (wal push/fetch, the push worker):
 * no metrics registry or audit log, which it has no one to serve to; the
 * manager options then carry none (callers drop those two keys).
 */
export function backupPlanOf(config: FeatureContext['config'], logger: Logger = silentLogger()): BackupPlan {
  return backupPlan({ config, logger, metrics: undefined as never, audit: undefined as never });
}

/**
 * `backup.verifySchedule` decides when a restore test runs: the newest backup
 * lacks one, and no restore test has run since the schedule last fired (one
 * per period; the first ever runs at once). `backups` are newest first.
 */
export function verifyDue(backups: readonly BackupInfo[], verifySchedule: string, now = new Date()): boolean {
  const newest = backups[0];
  if (!newest) return false;
  const v = newest.manifest.verification;
  if (v !== undefined && v.level >= VERIFY_LEVEL) return false;
  const lastTest = Math.max(
    0,
    ...backups.flatMap((b) => {
      const bv = b.manifest.verification;
      return bv && bv.level >= VERIFY_LEVEL ? [Date.parse(bv.at)] : [];
    }),
  );
  if (lastTest === 0) return true;
  const fired = lastScheduledRun(verifySchedule, now);
  return fired !== undefined && lastTest < fired.getTime();
}

export function verificationOf(b: BackupInfo): BackupRow['verification'] {
  const v = b.manifest.verification;
  if (!v) return 'unverified';
  return v.ok ? 'passed' : 'failed';
}

// Long: the feature's factory: tasks, status and actions as short closures over one plan.
export const backupFeature = (ctx: FeatureContext): FeatureFactoryResult<'backup'> => {
  const plan = backupPlan(ctx);
  const manager = new DatabaseBackupManager(ctx.database, plan.manager);
  const database = ctx.database.info.database;
  const { schedule, verifySchedule, jobs } = plan;
  const latest = async (signal?: AbortSignal) => (await manager.listBackups({ database, limit: 1, signal }))[0];
  const walVerify = walVerifyTask({ database: ctx.database, manager, logger: ctx.logger });

  const component: FeatureComponent<'backup'> = {
    name: 'backup',
    instance: manager,
    initialize: (signal) => manager.initialize({ signal }),
    async status(signal): Promise<FeatureStatus> {
      const newest = await latest(signal);
      const issues: StatusIssue[] = await walVerify.issues(signal);
      if (!newest) {
        issues.push({
          severity: 'warning',
          component: 'backup',
          message: `There is no backup of ${database} yet.`,
          action: 'Run `dbrs backup create` or a maintenance cycle.',
        });
        const critical = issues.some((i) => i.severity === 'critical');
        return { status: critical ? 'unhealthy' : 'degraded', message: 'no backups', issues };
      }
      const ageMs = Date.now() - newest.finishedAt.getTime();
      const allowedMs = scheduleIntervalMs(schedule) + 2 * 3600_000;
      const verification = verificationOf(newest);
      if (ageMs > allowedMs) {
        issues.push({
          severity: 'critical',
          component: 'backup',
          message: `The newest backup of ${database} is ${Math.round(ageMs / 3600_000)} h old; the schedule "${schedule}" allows ${Math.round(allowedMs / 3600_000)} h.`,
          action: 'Check the scheduler and the last backup error (`dbrs backup create`).',
        });
      }
      if (verification === 'failed') {
        issues.push({
          severity: 'critical',
          component: 'backup',
          message: `Verification of backup ${newest.backupId} failed: ${newest.manifest.verification?.error ?? 'see the log'}.`,
          action: 'Run `dbrs backup verify` on it, fix storage or keys, and take a new backup.',
        });
      } else if (verification === 'unverified') {
        issues.push({
          severity: 'info',
          component: 'backup',
          message: `The newest backup ${newest.backupId} has not been verified yet.`,
          action: 'The next maintenance cycle restores it into a scratch database; or run `dbrs backup verify`.',
        });
      }
      const status = issues.some((i) => i.severity === 'critical')
        ? 'unhealthy'
        : issues.some((i) => i.severity === 'warning')
          ? 'degraded'
          : 'healthy';
      return {
        status,
        message: `newest ${newest.backupId} (${verification})`,
        details: {
          newest: newest.backupId,
          finishedAt: newest.finishedAt.toISOString(),
          verification,
          storageType: ctx.config.backup.storageType,
        },
        issues,
      };
    },
    tasks(): MaintenanceTask[] {
      return [
        {
          name: 'backup.create',
          minIntervalMs: 0,
          // Due when the schedule has fired since the newest backup finished.
          async isDue(signal) {
            const newest = await latest(signal);
            const fired = lastScheduledRun(schedule);
            return !newest || (fired !== undefined && newest.finishedAt < fired);
          },
          async run(signal) {
            const r = await manager.createBackup(database, { signal, jobs });
            return { backupId: r.backupId, storedBytes: r.storedBytes };
          },
        },
        {
          name: 'backup.verify-latest',
          minIntervalMs: 0,
          async isDue(signal) {
            return verifyDue(await manager.listBackups({ database, limit: 20, signal }), verifySchedule);
          },
          async run(signal) {
            const newest = await latest(signal);
            if (!newest) return { skipped: 'no backup' };
            const r = await manager.verifyBackup(newest.backupId, { level: VERIFY_LEVEL, signal, jobs });
            if (!r.ok) throw new Error(`Backup ${r.backupId} failed verification: ${r.error?.message ?? 'unknown'}`);
            return { backupId: r.backupId, level: r.level, restoreDurationMs: r.restoreDurationMs };
          },
        },
        {
          name: 'backup.cleanup',
          minIntervalMs: 6 * 3600_000,
          async run(signal) {
            const r = await manager.cleanupOldBackups({ signal });
            return {
              deleted: r.deleted,
              freedBytes: r.freedBytes,
              incompleteRemoved: r.incompleteRemoved,
              walRemoved: r.wal.removed.length,
            };
          },
        },
        walVerify.task,
      ];
    },
    async backups(signal) {
      const list = await manager.listBackups({ limit: 20, signal });
      return list.map((b) => ({
        backupId: b.backupId,
        database: b.database,
        type: b.type,
        createdAt: b.startedAt.toISOString(),
        sizeBytes: b.storedBytes,
        verification: verificationOf(b),
        ...(b.manifest.verification
          ? { verifiedAt: `${b.manifest.verification.at} (level ${b.manifest.verification.level})` }
          : {}),
      }));
    },
    durableMetrics: (signal) => exportBackupState({ manager, metrics: ctx.metrics, audit: ctx.audit, signal }),
    actions() {
      return {
        backup: {
          label: 'Back up now',
          run: ({ signal }) => manager.createBackup(database, { signal, jobs }).then((r) => ({ backupId: r.backupId })),
        },
      };
    },
    close: () => manager.close(),
  };
  return { component };
};
