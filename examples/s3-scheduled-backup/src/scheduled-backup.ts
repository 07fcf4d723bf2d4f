import { type BackupResult, type CleanupResult, DatabaseBackupManager } from '@voicehive/db-backup';
import { createDatabase, LeaderLock, type Logger, Scheduler, silentLogger, type TaskRun } from '@voicehive/db-core';

export interface ScheduledBackupOptions {
  databaseUrl: string;
  s3: {
    bucket: string;
    region?: string;
    endpoint?: string;
    prefix?: string;
    forcePathStyle?: boolean;
    accessKeyId?: string;
    secretAccessKey?: string;
  };
  /** Cron for backups (5 or 6 fields). Default '0 2 * * *'. */
  schedule?: string;
  /** Cron for the restore-test verification of the newest backup. Default '0 4 * * *'. */
  verifySchedule?: string;
  /** Default 30. */
  retentionDays?: number;
  /** Default 7. */
  keepLast?: number;
  /** Passphrase; backups are encrypted when set. */
  encryptionKey?: string;
  logger?: Logger;
  onRun?: (run: TaskRun) => void;
}

/**
 * A standalone backup worker: a backup to S3 on a cron schedule, followed by
 * retention cleanup, and a daily restore test of the newest backup. Run as
 * many replicas as you like: the tasks are leader-only (a PostgreSQL
 * advisory lock), so each runs once.
 */
export async function startScheduledBackups(options: ScheduledBackupOptions) {
  const logger = options.logger ?? silentLogger();
  const db = createDatabase(options.databaseUrl, { poolMax: 3, logger });
  const backups = new DatabaseBackupManager(db, {
    storageType: 's3',
    s3Bucket: options.s3.bucket,
    s3Region: options.s3.region ?? 'us-east-1',
    ...(options.s3.endpoint ? { s3Endpoint: options.s3.endpoint } : {}),
    ...(options.s3.prefix ? { s3Prefix: options.s3.prefix } : {}),
    s3ForcePathStyle: options.s3.forcePathStyle ?? false,
    ...(options.s3.accessKeyId
      ? { s3AccessKeyId: options.s3.accessKeyId, s3SecretAccessKey: options.s3.secretAccessKey }
      : {}),
    retentionDays: options.retentionDays ?? 30,
    keepLast: options.keepLast ?? 7,
    ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
    logger,
  });
  await backups.initialize();
  const lock = new LeaderLock(db, { name: `backup-worker:${db.info.database}`, logger });
  const scheduler = new Scheduler({ logger, leaderLock: lock, ...(options.onRun ? { onRun: options.onRun } : {}) });
  const results: { backups: BackupResult[]; cleanups: CleanupResult[] } = { backups: [], cleanups: [] };

  scheduler.add({
    name: 'backup',
    cron: options.schedule ?? '0 2 * * *',
    leaderOnly: true,
    run: async ({ signal }) => {
      results.backups.push(await backups.createBackup(db.info.database, { signal }));
      results.cleanups.push(await backups.cleanupOldBackups({ signal }));
    },
  });
  scheduler.add({
    name: 'verify',
    cron: options.verifySchedule ?? '0 4 * * *',
    leaderOnly: true,
    run: async ({ signal }) => {
      const [newest] = await backups.listBackups({ database: db.info.database, limit: 1, signal });
      if (newest) {
        const r = await backups.verifyBackup(newest.backupId, { level: 3, signal });
        if (!r.ok) throw new Error(`Restore test of ${newest.backupId} failed: ${r.error?.message}`);
      }
    },
  });
  scheduler.start();

  return {
    backups,
    scheduler,
    results,
    async close() {
      await scheduler.stop({ timeoutMs: 30_000 });
      await lock.close();
      await backups.close();
      await db.close();
    },
  };
}
