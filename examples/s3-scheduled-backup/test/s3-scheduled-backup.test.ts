import { type S3Emulator, startS3, useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduledBackups } from '../src/scheduled-backup.js';

describe('example: scheduled backups to S3 with retention', () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.02, seed: 2 } });
  let s3: S3Emulator;
  beforeAll(async () => {
    s3 = await startS3({ bucket: 'example-backups' });
  });
  afterAll(() => s3?.stop());

  const s3Options = () => ({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    accessKeyId: s3.credentials.accessKeyId,
    secretAccessKey: s3.credentials.secretAccessKey,
  });

  it('backs up on its cron schedule into S3, encrypted, and verifies by restore', async () => {
    const runs: string[] = [];
    // Every second (6-field cron), so the test sees the schedule fire.
    const worker = await startScheduledBackups({
      databaseUrl: db.url,
      s3: s3Options(),
      schedule: '* * * * * *',
      encryptionKey: 'example-passphrase-0123456789',
      onRun: (r) => runs.push(`${r.task}:${r.outcome}${r.error ? ` (${r.error.message})` : ''}`),
    });
    try {
      const deadline = Date.now() + 20_000;
      while (
        !runs.includes('backup:completed') &&
        !runs.some((r) => r.startsWith('backup:failed')) &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 100));
      const backupRuns = runs.filter((r) => r.startsWith('backup:'));
      expect(backupRuns, runs.join('\n')).toContain('backup:completed');
      // On a slow machine the next second's tick comes while the first backup still runs: it is skipped, never run alongside.
      expect(backupRuns.filter((r) => r !== 'backup:completed' && r !== 'backup:skipped-overlap')).toEqual([]);
      await worker.scheduler.stop({ timeoutMs: 30_000 });
      const list = await worker.backups.listBackups();
      expect(list.length).toBeGreaterThanOrEqual(1);
      expect(list[0]!.manifest.encryption).not.toBeNull();
      const verify = await worker.backups.verifyBackup(list[0]!.backupId, { level: 3 });
      expect(verify.ok).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it('applies retention: keeps the newest, deletes what is past retention', async () => {
    const worker = await startScheduledBackups({
      databaseUrl: db.url,
      s3: { ...s3Options(), prefix: 'retention' },
      retentionDays: 1,
      keepLast: 1,
    });
    try {
      const first = await worker.backups.createBackup();
      const second = await worker.backups.createBackup();
      // Three days later, with retentionDays 1 and keepLast 1, only the newest stays.
      const dry = await worker.backups.cleanupOldBackups({ dryRun: true, now: new Date(Date.now() + 3 * 86_400_000) });
      expect(dry.deleted).toEqual([first.backupId]);
      const done = await worker.backups.cleanupOldBackups({ now: new Date(Date.now() + 3 * 86_400_000) });
      expect(done.freedBytes).toBeGreaterThan(0);
      expect((await worker.backups.listBackups()).map((b) => b.backupId)).toEqual([second.backupId]);
    } finally {
      await worker.close();
    }
  });
});
