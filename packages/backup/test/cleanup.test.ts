import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AuditLog, createDatabase } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, DatabaseBackupManager } from '../src/index.js';
import { LocalStorage } from '../src/storage/local.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await hotelFixture(1);
});
afterAll(async () => {
  await fx?.done();
});

describe('cleanupOldBackups (real deletion)', () => {
  it('dry run lists, then deletes all but keepLast and the newest verified, and removes stale incomplete uploads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vhbk-ret-'));
    const storage = new LocalStorage({ path: dir });
    await using auditDb = createDatabase(fx.server.url, { poolMax: 1 });
    const audit = new AuditLog({ database: auditDb });
    await using mgr = new DatabaseBackupManager(fx.db, { storage, keepLast: 1, incompleteGraceMs: 60_000, audit });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await mgr.createBackup()).backupId);
    // ids[1] is verified: the newest verified backup survives even though keepLast is 1.
    expect((await mgr.verifyBackup(ids[1]!, { level: 1 })).ok).toBe(true);

    // An upload that never got its manifest, two hours old; and one still "in progress".
    const seg = encodeURIComponent(fx.dbName);
    await storage.put(`${seg}/20200101T000000000Z-aaaaaa/dump.pgdump.zst`, Readable.from([Buffer.alloc(1000, 1)]));
    await storage.put(`${seg}/20200101T000000000Z-bbbbbb/dump.pgdump.zst`, Readable.from([Buffer.alloc(10, 1)]));
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(dir, seg, '20200101T000000000Z-aaaaaa', 'dump.pgdump.zst'), old, old);
    expect((await mgr.listBackups()).map((b) => b.backupId)).not.toContain('20200101T000000000Z-aaaaaa');

    const dry = await mgr.cleanupOldBackups({ dryRun: true });
    expect(dry.deleted.sort()).toEqual([ids[0], ids[2]].sort());
    expect(dry.kept.sort()).toEqual([ids[1], ids[3]].sort());
    expect(dry.incompleteRemoved).toEqual(['20200101T000000000Z-aaaaaa']);
    expect(dry.freedBytes).toBeGreaterThan(1000);
    expect(await mgr.listBackups()).toHaveLength(4);

    const real = await mgr.cleanupOldBackups();
    expect(real.deleted.sort()).toEqual(dry.deleted.sort());
    expect(real.freedBytes).toBeGreaterThan(0);
    expect((await mgr.listBackups()).map((b) => b.backupId).sort()).toEqual([ids[1], ids[3]].sort());
    const folders = new Set<string>();
    for await (const o of storage.list(`${seg}/`)) folders.add(o.key.split('/')[1]!);
    expect([...folders].sort()).toEqual([ids[1], ids[3], '20200101T000000000Z-bbbbbb'].sort());
    const deletes = await audit.list({ action: 'backup.delete' });
    expect(deletes.map((d) => d.target)).toEqual(
      expect.arrayContaining([`${fx.dbName}/${ids[0]}`, `${fx.dbName}/20200101T000000000Z-aaaaaa`]),
    );
    await rm(dir, { recursive: true });
  });

  it('keeps the parent of a retained incremental backup (the chain read from the manifests)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vhbk-chain-'));
    const storage = new LocalStorage({ path: dir });
    await using mgr = new DatabaseBackupManager(fx.db, { storage, keepLast: 1, backupType: BackupType.PHYSICAL });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await mgr.createBackup()).backupId);
    // Incrementals are not built yet (README): the newest manifest is marked as one taken against ids[1],
    // the field an incremental backup records, so that cleanup reads the chain from storage.
    const file = join(dir, encodeURIComponent(fx.dbName), ids[2]!, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...manifest, incremental: { parentBackupId: ids[1] } }));

    const dry = await mgr.cleanupOldBackups({ dryRun: true });
    expect(dry.deleted).toEqual([ids[0]]);
    expect(dry.kept.sort()).toEqual([ids[1], ids[2]].sort());
    const real = await mgr.cleanupOldBackups();
    expect(real.deleted).toEqual([ids[0]]);
    expect((await mgr.listBackups()).map((b) => b.backupId).sort()).toEqual([ids[1], ids[2]].sort());
    await rm(dir, { recursive: true });
  });
});
