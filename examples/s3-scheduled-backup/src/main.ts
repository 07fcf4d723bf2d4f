import { createLogger } from '@voicehive/db-core';
import { startScheduledBackups } from './scheduled-backup.js';

const env = process.env;
if (!env['DATABASE_URL'] || !env['BACKUP_S3_BUCKET']) {
  process.stderr.write(
    'Set DATABASE_URL and BACKUP_S3_BUCKET (AWS credentials from the usual AWS_* variables or role).\n',
  );
  process.exit(2);
}
const worker = await startScheduledBackups({
  databaseUrl: env['DATABASE_URL'],
  s3: {
    bucket: env['BACKUP_S3_BUCKET'],
    region: env['AWS_REGION'],
    endpoint: env['BACKUP_S3_ENDPOINT'],
    forcePathStyle: env['BACKUP_S3_FORCE_PATH_STYLE'] === 'true',
  },
  schedule: env['BACKUP_SCHEDULE'],
  retentionDays: env['BACKUP_RETENTION_DAYS'] ? Number(env['BACKUP_RETENTION_DAYS']) : undefined,
  encryptionKey: env['BACKUP_ENCRYPTION_KEY'],
  logger: createLogger({ level: env['LOG_LEVEL'] ?? 'info' }),
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void worker.close());
