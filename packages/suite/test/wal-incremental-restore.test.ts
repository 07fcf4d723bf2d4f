import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let env: Record<string, string>;
const ids: string[] = [];
/** A moment after both backups, inside the archived WAL. */
let targetLsn: string;

beforeAll(async () => {
  c = await startWalCluster();
  env = { ...c.env, DATABASE_URL: c.server.url, BACKUP_ENABLED: 'true', BACKUP_TYPE: 'physical' };
  await c.db.query('CREATE TABLE marks (id int PRIMARY KEY)');
  await using mgr = new DatabaseBackupManager(c.db, {
    storage: new LocalStorage({ path: c.storePath }),
    encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    backupType: 'physical',
    scryptLogN: 15,
  });
  ids.push((await mgr.createBackup('postgres')).backupId);
  await c.db.query('INSERT INTO marks VALUES (1)');
  ids.push((await mgr.createBackup('postgres')).backupId);
  await c.db.query('INSERT INTO marks VALUES (2)');
  targetLsn = (await c.db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  await c.waitArchived(await c.switchWal());
  // The newer backup's real manifest is marked as one taken against the older, as pg_basebackup
  // --incremental on PostgreSQL 17 leaves it; this machine's PATH has no pg_combinebackup to combine them
  // (backup incremental.test.ts runs a real chain on 17 with the 17 client tools).
  const file = join(c.storePath, 'postgres', ids[1]!, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8'));
  await writeFile(file, JSON.stringify({ ...manifest, incremental: { parentBackupId: ids[0] } }));
}, 300_000);
afterAll(async () => {
  await c?.done();
});

describe('dbrs backup restore / verify of an incremental backup (real PostgreSQL 15 with archived WAL)', {
  timeout: 600_000,
}, () => {
  it('latest picks the incremental; with no pg_combinebackup it is refused with the chain, and the full backup the hint names restores to the same point', async () => {
    const dir = await mkdtemp(join(c.dir, 'incr-restore-'));
    await chmod(dir, 0o755);
    const data = join(dir, 'data');
    const args = ['--target-directory', data, '--target-lsn', targetLsn];
    const refused = await runCli(['backup', 'restore', 'latest', ...args], { env, timeoutMs: 120_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/TOOL_MISSING/);
    expect(refused.stderr).toContain(`${ids[0]} → ${ids[1]}`);
    expect(refused.stderr).toContain('pg_combinebackup of PostgreSQL 17');
    expect(refused.stderr).toContain(`use the full physical backup ${ids[0]} instead`);
    expect(refused.stderr).not.toMatch(/binDir|toolPaths/);
    await expect(stat(data)).rejects.toMatchObject({ code: 'ENOENT' });

    const verify = await runCli(['backup', 'verify', ids[1]!, '--level', '2'], { env, timeoutMs: 120_000 });
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toMatch(/TOOL_MISSING/);
    expect(verify.stderr).toContain('to verify at level 2 it');

    // The hint's way on works: the full backup reaches the same target (laid out with recovery settings).
    const full = await runCli(['backup', 'restore', ids[0]!, ...args, '--json'], { env, timeoutMs: 300_000 });
    expect(full.code, full.stderr).toBe(0);
    expect(full.json().pointInTime.baseBackupId).toBe(ids[0]);
    expect(await readdir(data)).toEqual(expect.arrayContaining(['PG_VERSION', 'recovery.signal']));
  });
});
