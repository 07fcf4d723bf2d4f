import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DbrsError } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, DatabaseBackupManager } from '../src/index.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
let mgr: DatabaseBackupManager;
const ids: string[] = [];

const manifestFile = (id: string) => join(fx.dir, 'store', encodeURIComponent(fx.dbName), id, 'manifest.json');
const readManifest = async (id: string) => JSON.parse(await readFile(manifestFile(id), 'utf8'));

/**
 * Marks a real PG15 manifest as an incremental taken against `parent`: the refusals below come before any
 * byte is combined, so they are tested here cheaply (incremental.test.ts runs the real chain on 17).
 */
async function markIncremental(id: string, parent: string): Promise<void> {
  const manifest = await readManifest(id);
  await writeFile(manifestFile(id), JSON.stringify({ ...manifest, incremental: { parentBackupId: parent } }));
}

async function refusal(p: Promise<unknown>): Promise<DbrsError> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as DbrsError | undefined;
  expect(err, 'the request must be refused').toBeDefined();
  return err!;
}

beforeAll(async () => {
  fx = await hotelFixture(1);
  mgr = new DatabaseBackupManager(fx.db, {
    storage: fx.storage,
    backupType: BackupType.PHYSICAL,
    // No pg_combinebackup, whatever this machine has installed.
    toolPaths: { pg_combinebackup: join(fx.dir, 'no-pg_combinebackup') },
  });
  for (let i = 0; i < 3; i++) ids.push((await mgr.createBackup()).backupId);
  // A chain as pg_basebackup --incremental would leave it: ids[0] full ← ids[1] ← ids[2].
  await markIncremental(ids[1]!, ids[0]!);
  await markIncremental(ids[2]!, ids[1]!);
}, 300_000);
afterAll(async () => {
  await mgr?.close();
  await fx?.done();
});

describe('an incremental physical backup without pg_combinebackup, or with a parent gone, is refused where it would be laid out (real PG15 backups)', {
  timeout: 300_000,
}, () => {
  it('restore: TOOL_MISSING naming the chain and pg_combinebackup of 17, the target directory untouched; the full one restores', async () => {
    const target = join(fx.dir, 'restore-here');
    await mkdir(target);
    const err = await refusal(mgr.restoreBackup(ids[2]!, { targetDirectory: target }));
    expect(err.code).toBe('TOOL_MISSING');
    expect(err.message).toContain(`${ids[0]} → ${ids[1]} → ${ids[2]}`);
    expect(err.message).toContain('pg_combinebackup of PostgreSQL 17 or newer');
    expect(err.message).toContain('Nothing was written');
    expect(err.hint).toContain('postgresql-client-17');
    expect(err.details).toMatchObject({ chain: [ids[0], ids[1], ids[2]], tool: 'pg_combinebackup' });
    expect(await readdir(target)).toEqual([]);
    // A directory that did not exist is not created either.
    const absent = join(fx.dir, 'absent');
    expect((await refusal(mgr.restoreBackup(ids[1]!, { targetDirectory: absent }))).code).toBe('TOOL_MISSING');
    await expect(stat(absent)).rejects.toMatchObject({ code: 'ENOENT' });

    // The refusal is about the incremental only: the full backup at the chain's root restores into the same directory.
    const full = await mgr.restoreBackup(ids[0]!, { targetDirectory: target });
    expect(full.backupId).toBe(ids[0]);
    expect(await readdir(target)).toContain('PG_VERSION');
  });

  it('verify: levels 2 and 3 are refused without recording a verdict; level 1 (checksums) still runs', async () => {
    for (const level of [2, 3] as const) {
      const err = await refusal(mgr.verifyBackup(ids[2]!, { level }));
      expect(err.code).toBe('TOOL_MISSING');
      expect(err.message).toContain(`to verify at level ${level} it`);
      expect(err.message).toContain(`${ids[0]} → ${ids[1]} → ${ids[2]}`);
    }
    expect((await readManifest(ids[2]!)).verification).toBeUndefined();
    const l1 = await mgr.verifyBackup(ids[2]!, { level: 1 });
    expect(l1.ok).toBe(true);
    expect((await readManifest(ids[2]!)).verification).toMatchObject({ level: 1, ok: true });
  });

  it('point-in-time restore: the incremental that latest picks, or that is named, is refused before the directory exists', async () => {
    // No WAL is archived here, so the only target inside the window is the newest backup's own end
    // (wal-incremental-restore.test in the suite covers a real archive, where a full backup serves instead).
    const target = join(fx.dir, 'pitr-here');
    const lsn = (await readManifest(ids[2]!)).wal.endLsn as string;
    const latest = await refusal(mgr.restoreBackup('latest', { targetDirectory: target, recoveryTarget: { lsn } }));
    expect(latest.code).toBe('TOOL_MISSING');
    expect(latest.message).toContain(`Backup ${ids[2]} is an incremental`);
    expect(latest.message).toContain('to recover to a point from it');
    expect(latest.hint).toContain('pg_combinebackup');
    const named = await refusal(mgr.restoreBackup(ids[1]!, { targetDirectory: target, recoveryTarget: { lsn } }));
    expect(named.code).toBe('TOOL_MISSING');
    expect(named.message).toContain(`${ids[0]} → ${ids[1]})`);
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a chain whose parent is gone is refused NOT_FOUND, before the tool is looked for, and says where it breaks', async () => {
    const gone = '20200101T000000000Z-abcdef';
    await markIncremental(ids[1]!, gone);
    const err = await refusal(mgr.restoreBackup(ids[2]!, { targetDirectory: join(fx.dir, 'broken') }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain(`${gone} (missing) → ${ids[1]} → ${ids[2]}`);
    expect(err.details).toMatchObject({ chain: [`${gone} (missing)`, ids[1], ids[2]] });
  });
});
