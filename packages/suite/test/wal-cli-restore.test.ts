import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let env: Record<string, string>;

beforeAll(async () => {
  c = await startWalCluster();
  env = { ...c.env, DATABASE_URL: c.server.url, BACKUP_ENABLED: 'true', BACKUP_TYPE: 'physical' };
  await c.db.query('CREATE TABLE marks (id int PRIMARY KEY)');
  await using mgr = new DatabaseBackupManager(c.db, {
    storage: new LocalStorage({ path: c.storePath }),
    encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    backupType: 'physical',
  });
  await mgr.createBackup('postgres');
  await c.db.query('INSERT INTO marks VALUES (1)');
}, 300_000);
afterAll(async () => {
  await c?.done();
});

describe('dbrs wal restore-point / verify / status and backup restore --target-name (real PostgreSQL 15)', {
  timeout: 600_000,
}, () => {
  it('a restore point made with the CLI is the target of a CLI point-in-time restore', async () => {
    const point = await runCli(['wal', 'restore-point', 'before-drop', '--json'], { env, timeoutMs: 120_000 });
    expect(point.code, point.stderr).toBe(0);
    expect(point.json()).toMatchObject({ name: 'before-drop' });
    await c.db.query('INSERT INTO marks VALUES (2)');
    await c.waitArchived(await c.switchWal());

    const verify = await runCli(['wal', 'verify', '--json'], { env, timeoutMs: 120_000 });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json()).toMatchObject({ ok: true, gaps: [] });
    const status = await runCli(['wal', 'status', '--json'], { env, timeoutMs: 120_000 });
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toMatchObject({ archiveMode: 'on', failing: false, window: { gaps: [] } });

    const dir = await mkdtemp(join(c.dir, 'cli-restore-'));
    await chmod(dir, 0o755);
    const restore = await runCli(
      [
        'backup',
        'restore',
        'latest',
        '--target-directory',
        join(dir, 'data'),
        '--target-name',
        'before-drop',
        '--start',
        '--json',
      ],
      { env, timeoutMs: 300_000 },
    );
    expect(restore.code, restore.stderr).toBe(0);
    const out = restore.json();
    expect(out.pointInTime.reached).toMatchObject({ promoted: true, timeline: 2 });
    expect(out.pointInTime.walFilesFetched).toBeGreaterThan(0);

    const twoTargets = await runCli(
      [
        'backup',
        'restore',
        'latest',
        '--target-directory',
        join(dir, 'x'),
        '--target-name',
        'a',
        '--target-lsn',
        '0/1',
      ],
      { env },
    );
    expect(twoTargets.code).toBe(2);
    expect(twoTargets.stderr).toMatch(/give one of --target-time/);
  });
});
