import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage, parseWalName } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let mgr: DatabaseBackupManager;
let first: string;
let second: string;
let secondStartSegment: string;

/** Position of a segment-like WAL name (timeline ignored), for ordering across timelines. */
const position = (name: string) => name.slice(8, 24);

async function archived(): Promise<string[]> {
  return (await readdir(join(c.storePath, 'wal'))).filter((n) => parseWalName(n) !== undefined).sort();
}

beforeAll(async () => {
  c = await startWalCluster();
  mgr = new DatabaseBackupManager(c.db, {
    storage: new LocalStorage({ path: c.storePath }),
    encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    backupType: 'physical',
    keepLast: 1,
    scryptLogN: 15,
  });
  await c.db.query('CREATE TABLE t (id int)');
  first = (await mgr.createBackup('postgres')).backupId;
  for (let i = 0; i < 3; i++) {
    await c.db.query('INSERT INTO t SELECT g FROM generate_series(1, 1000) g');
    await c.waitArchived(await c.switchWal());
  }
  const b = await mgr.createBackup('postgres');
  second = b.backupId;
  secondStartSegment = b.manifest.wal!.startLsn!;
  await c.db.query('INSERT INTO t SELECT g FROM generate_series(1, 1000) g');
  await c.waitArchived(await c.switchWal());
}, 300_000);
afterAll(async () => {
  await mgr?.close();
  await c?.done();
});

describe('retention that understands WAL (keepLast 1, archive_command = dbrs wal push)', { timeout: 300_000 }, () => {
  it('dry run: names the WAL older than the oldest retained base backup and what the retained one needs; deletes nothing', async () => {
    const before = await archived();
    const r = await mgr.cleanupOldBackups({ dryRun: true });
    expect(r.deleted).toEqual([first]);
    expect(r.kept).toEqual([second]);
    expect(r.wal.oldestBackupId).toBe(second);
    expect(r.wal.neededBy).toEqual([{ backupId: second, fromSegment: r.wal.neededFrom }]);
    const from = r.wal.neededFrom!;
    // The segment holding the retained backup's start LSN (0/X000028 → …0000000X).
    const [hi, lo] = secondStartSegment.split('/').map((h) => Number.parseInt(h, 16));
    expect(from).toBe(
      `00000001${hi!.toString(16).toUpperCase().padStart(8, '0')}${Math.floor(lo! / (16 << 20))
        .toString(16)
        .toUpperCase()
        .padStart(8, '0')}`,
    );
    expect(r.wal.removed.length).toBeGreaterThanOrEqual(3);
    for (const n of r.wal.removed) expect(position(n) < position(from)).toBe(true);
    expect(r.wal.kept.count).toBe(before.length - r.wal.removed.length);
    for (const n of before.filter((x) => !r.wal.removed.includes(x))) expect(position(n) >= position(from)).toBe(true);
    expect(r.wal.freedBytes).toBeGreaterThan(0);
    expect(await archived()).toEqual(before);

    // The CLI shows both halves too. Its configuration keeps 30 days at least (retentionDays >= 1), so there
    // both backups stay, the oldest (first) bounds the WAL, and both are listed with what they need.
    const cli = await runCli(['backup', 'cleanup', '--dry-run', '--json'], {
      env: { ...c.env, DATABASE_URL: c.server.url, BACKUP_ENABLED: 'true', BACKUP_TYPE: 'physical' },
      timeoutMs: 120_000,
    });
    expect(cli.code, cli.stderr).toBe(0);
    const out = cli.json();
    expect(out).toMatchObject({ dryRun: true, deleted: [], wal: { oldestBackupId: first } });
    expect(out.wal.neededBy.map((n: { backupId: string }) => n.backupId).sort()).toEqual([first, second].sort());
    for (const n of out.wal.removed as string[]) expect(position(n) < position(out.wal.neededFrom)).toBe(true);
    expect(position(out.wal.neededFrom) < position(from)).toBe(true);
    expect(await archived()).toEqual(before);
  });

  it('cleanup removes exactly that WAL; the retained backup still has a continuous archive', async () => {
    const plan = await mgr.cleanupOldBackups({ dryRun: true });
    const r = await mgr.cleanupOldBackups();
    expect(r.deleted).toEqual([first]);
    expect(r.wal.removed).toEqual(plan.wal.removed);
    const left = await archived();
    for (const n of plan.wal.removed) expect(left).not.toContain(n);
    expect(left).toContain(plan.wal.neededFrom);
    const v = await mgr.verifyWal();
    expect(v.ok).toBe(true);
    expect(v.backups.map((b) => b.backupId)).toEqual([second]);
    // Nothing older is left to remove, and a second run removes nothing the backup needs.
    const again = await mgr.cleanupOldBackups();
    expect(again.wal.removed).toEqual([]);
    expect(await archived()).toEqual(left);
  });
});
