import { type BackupConfig, type BackupInfo, DatabaseBackupManager } from '@voicehive/db-backup';
import type { BackupRow, StatusIssue } from '../status/types.js';
import type {
  FeatureComponent,
  FeatureContext,
  FeatureFactoryResult,
  FeatureStatus,
  MaintenanceTask,
} from './feature.js';
import { lastScheduledRun, scheduleIntervalMs } from './schedule.js';

/** Level of the maintenance cycle's verification of the newest backup: 3 is a real restore test. */
const VERIFY_LEVEL = 3;

export function backupManagerConfig(
  ctx: Pick<FeatureContext, 'config' | 'logger' | 'metrics' | 'audit'>,
): BackupConfig {
  const b = ctx.config.backup;
  return {
    backupType: b.backupType,
    storageType: b.storageType,
    localPath: b.localPath,
    s3Bucket: b.s3Bucket,
    s3Region: b.s3Region,
    s3Endpoint: b.s3Endpoint,
    s3Prefix: b.s3Prefix,
    s3ForcePathStyle: b.s3ForcePathStyle,
    ...(b.s3AccessKeyId ? { s3AccessKeyId: b.s3AccessKeyId } : {}),
    ...(b.s3SecretAccessKey ? { s3SecretAccessKey: b.s3SecretAccessKey } : {}),
    azureContainer: b.azureContainer,
    azureConnectionString: b.azureConnectionString,
    gcsBucket: b.gcsBucket,
    gcsPrefix: b.gcsPrefix,
    gcsProjectId: b.gcsProjectId,
    gcsApiEndpoint: b.gcsApiEndpoint,
    retentionDays: b.retentionDays,
    keepLast: b.keepLast,
    compression: b.compression,
    ...(b.encryptionEnabled !== undefined ? { encryption: b.encryptionEnabled } : {}),
    ...(b.encryptionKey ? { encryptionKey: b.encryptionKey } : {}),
    ...(b.encryptionRecipients.length ? { encryptionRecipients: b.encryptionRecipients } : {}),
    ...(b.decryptionKeys.length ? { decryptionKeys: b.decryptionKeys } : {}),
    logger: ctx.logger,
    metrics: ctx.metrics,
    audit: ctx.audit,
    actor: 'suite',
  };
}

export function verificationOf(b: BackupInfo): BackupRow['verification'] {
  const v = b.manifest.verification;
  if (!v) return 'unverified';
  return v.ok ? 'passed' : 'failed';
}

export const backupFeature = (ctx: FeatureContext): FeatureFactoryResult => {
  const manager = new DatabaseBackupManager(ctx.database, backupManagerConfig(ctx));
  const database = ctx.database.info.database;
  const schedule = ctx.config.backup.schedule;
  const latest = async (signal?: AbortSignal) => (await manager.listBackups({ database, limit: 1, signal }))[0];

  const component: FeatureComponent = {
    name: 'backup',
    instance: manager,
    initialize: () => manager.initialize(),
    async status(signal): Promise<FeatureStatus> {
      const newest = await latest(signal);
      const issues: StatusIssue[] = [];
      if (!newest) {
        issues.push({
          severity: 'warning',
          component: 'backup',
          message: `There is no backup of ${database} yet.`,
          action: 'Run `dbrs backup create` or a maintenance cycle.',
        });
        return { status: 'degraded', message: 'no backups', issues };
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
            const r = await manager.createBackup(database, { signal });
            return { backupId: r.backupId, storedBytes: r.storedBytes };
          },
        },
        {
          name: 'backup.verify-latest',
          minIntervalMs: 0,
          async isDue(signal) {
            const newest = await latest(signal);
            return (
              newest !== undefined &&
              (newest.manifest.verification === undefined || newest.manifest.verification.level < VERIFY_LEVEL)
            );
          },
          async run(signal) {
            const newest = await latest(signal);
            if (!newest) return { skipped: 'no backup' };
            const r = await manager.verifyBackup(newest.backupId, { level: VERIFY_LEVEL, signal });
            if (!r.ok) throw new Error(`Backup ${r.backupId} failed verification: ${r.error?.message ?? 'unknown'}`);
            return { backupId: r.backupId, level: r.level, restoreDurationMs: r.restoreDurationMs };
          },
        },
        {
          name: 'backup.cleanup',
          minIntervalMs: 6 * 3600_000,
          async run(signal) {
            const r = await manager.cleanupOldBackups({ signal });
            return { deleted: r.deleted, freedBytes: r.freedBytes, incompleteRemoved: r.incompleteRemoved };
          },
        },
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
    actions() {
      return {
        backup: {
          label: 'Back up now',
          run: ({ signal }) => manager.createBackup(database, { signal }).then((r) => ({ backupId: r.backupId })),
        },
      };
    },
    close: () => manager.close(),
  };
  return { component };
};
