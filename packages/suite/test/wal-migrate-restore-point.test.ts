import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { droppingS3 } from './support/suite-helpers.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let env: Record<string, string>;
let mgr: DatabaseBackupManager;

beforeAll(async () => {
  c = await startWalCluster();
  const migrations = join(c.dir, 'migrations');
  await mkdir(migrations);
  await writeFile(
    join(migrations, '001_loyalty.sql'),
    '-- migrate:up\nCREATE TABLE loyalty (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE loyalty;\n',
  );
  env = {
    ...c.env,
    DATABASE_URL: c.server.url,
    BACKUP_ENABLED: 'true',
    BACKUP_TYPE: 'physical',
    MIGRATIONS_DIR: migrations,
  };
  mgr = new DatabaseBackupManager(c.db, {
    storage: new LocalStorage({ path: c.storePath }),
    encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    backupType: 'physical',
  });
  await mgr.createBackup('postgres');
}, 300_000);
afterAll(async () => {
  await mgr?.close();
  await c?.done();
});

describe('dbrs migrate up makes a restore point first when WAL is archived (real PostgreSQL 15)', {
  timeout: 600_000,
}, () => {
  it('the restore point precedes the migration: restoring to it gives the schema without it', async () => {
    const up = await runCli(['migrate', 'up', '--json'], { env, timeoutMs: 180_000 });
    expect(up.code, up.stderr).toBe(0);
    const out = up.json();
    expect(out.applied).toEqual([expect.stringMatching(/^001_loyalty/)]);
    expect(out.restorePoint).toMatchObject({
      created: true,
      name: expect.stringMatching(/^before-migrate-\d{8}T\d{6}Z-001_loyalty/),
    });
    expect(up.stderr).toContain(`restore point ${out.restorePoint.name}`);
    const points = await mgr.listRestorePoints();
    expect(points.map((p) => p.name)).toEqual([out.restorePoint.name]);
    // Nothing pending: no second point.
    const again = await runCli(['migrate', 'up', '--json'], { env, timeoutMs: 180_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().restorePoint).toEqual({ created: false, reason: 'no pending migration' });

    // "Undo the last migration" is the printed command: the restored cluster has no loyalty table.
    await c.waitArchived(await c.switchWal());
    const dir = await mkdtemp(join(c.dir, 'undo-'));
    await chmod(dir, 0o755);
    let tables: string[] = [];
    await mgr.restoreBackup('latest', {
      targetDirectory: join(dir, 'data'),
      recoveryTarget: { name: out.restorePoint.name },
      start: true,
      atTarget: async (connect) => {
        const db = connect('postgres');
        try {
          const r = await db.query<{ t: string }>(
            "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
          );
          tables = r.rows.map((x) => x.t);
        } finally {
          await db.close();
        }
      },
    });
    expect(tables).not.toContain('loyalty');
    const live = await c.db.query("SELECT 1 FROM pg_tables WHERE tablename = 'loyalty'");
    expect(live.rowCount).toBe(1);
  });

  it('without WAL archiving no restore point is made, and the output says why', async () => {
    // Same cluster, the backup feature switched off for this run: nothing could reach a restore point.
    await writeFile(
      join(env.MIGRATIONS_DIR!, '002_tiers.sql'),
      '-- migrate:up\nCREATE TABLE tiers (id int);\n-- migrate:down\nDROP TABLE tiers;\n',
    );
    const up = await runCli(['migrate', 'up', '--json'], {
      env: { ...env, BACKUP_ENABLED: 'false' },
      timeoutMs: 180_000,
    });
    expect(up.code, up.stderr).toBe(0);
    expect(up.json().applied).toEqual([expect.stringMatching(/^002_tiers/)]);
    expect(up.json().restorePoint).toEqual({ created: false, reason: 'the backup feature is off' });
    expect((await mgr.listRestorePoints()).map((p) => p.name)).toHaveLength(1);
  });

  it('with archiving on but the backup storage down, the reason is that the backup feature failed to start', async () => {
    await writeFile(
      join(env.MIGRATIONS_DIR!, '003_badges.sql'),
      '-- migrate:up\nCREATE TABLE badges (id int);\n-- migrate:down\nDROP TABLE badges;\n',
    );
    const storage = await droppingS3();
    try {
      const up = await runCli(['migrate', 'up', '--json'], { env: { ...env, ...storage.env }, timeoutMs: 180_000 });
      expect(up.code, up.stderr).toBe(0);
      expect(up.json().applied).toEqual([expect.stringMatching(/^003_badges/)]);
      // Started (its storage was dialled) because a point would have been made; the deploy went on without one.
      expect(storage.requests()).toBeGreaterThan(0);
      expect(up.json().restorePoint).toEqual({
        created: false,
        reason: expect.stringMatching(/^the backup feature failed to start: S3 list of s3:\/\/backups\/ failed/),
      });
      expect(up.stdout + up.stderr).not.toContain(storage.secret);
    } finally {
      await storage.close();
    }
    expect((await mgr.listRestorePoints()).map((p) => p.name)).toHaveLength(1);
  });
});
