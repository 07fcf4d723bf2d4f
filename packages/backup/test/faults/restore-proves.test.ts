// Issue #11 item 6: a tampered (byte flipped at 90%), wrong-key or missing-key
// restore modified its target before failing, or left a new empty database.
// A restore now proves the whole backup first and drops a database it created.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabase } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../../src/index.js';
import { LocalStorage } from '../../src/storage/local.js';
import { databaseExists, type FaultFixture, faultFixture } from './fixture.js';
import { backupSessions, eventually, stillThere, watchChildren } from './leaks.js';

const PASS = 'restore-proves-passphrase-0123456789';
let fx: FaultFixture;
let storage: LocalStorage;
let good: string;
let tampered: string;

async function dumpPath(backupId: string): Promise<string> {
  const folder = join(storage.location, encodeURIComponent(fx.dbName), backupId);
  const name = (await readdir(folder)).find((f) => f.startsWith('dump.pgdump'));
  if (!name) throw new Error(`no dump object in ${folder}`);
  return join(folder, name);
}

beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 60_000 });
  storage = new LocalStorage({ path: join(fx.dir, 'store') });
  await using mgr = new DatabaseBackupManager(fx.url, { storage, encryptionKey: PASS, encryptionChunkSize: 65_536 });
  good = (await mgr.createBackup()).backupId;
  tampered = (await mgr.createBackup()).backupId;
  const path = await dumpPath(tampered);
  const bytes = await readFile(path);
  bytes[Math.floor(bytes.length * 0.9)]! ^= 0x01;
  await writeFile(path, bytes);
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

/** The user tables in a database (an existing target must still have none). */
async function tablesIn(name: string): Promise<number> {
  const db = createDatabase(fx.url.replace(/\/[^/?]+(\?|$)/, `/${name}$1`), {
    poolMax: 1,
    applicationName: 'fault-observer',
  });
  try {
    const res = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    );
    return res.rows[0]!.n;
  } finally {
    await db.close();
  }
}

const cases = [
  ['tampered byte at 90%', () => tampered, { encryptionKey: PASS }, 'INTEGRITY_FAILED'],
  ['wrong key', () => good, { encryptionKey: 'a-wrong-passphrase-for-this' }, 'DECRYPTION_FAILED'],
  ['missing key', () => good, {}, 'DECRYPTION_FAILED'],
] as const;

describe('a restore proves the backup before it touches the target', { timeout: 600_000 }, () => {
  it.each(cases)(
    '%s, new target database: fails with %s… and no database is left behind',
    async (_, id, keys, code) => {
      const target = `${fx.dbName}_new_${code.slice(0, 3).toLowerCase()}`;
      await using mgr = new DatabaseBackupManager(fx.url, { storage, ...keys });
      for (const jobs of [1, 2]) {
        const watch = watchChildren(['pg_restore']);
        const err = await mgr.restoreBackup(id(), { targetDatabase: target, jobs }).catch((e) => e);
        const pids = watch.stop();
        expect(err.code, err.message).toBe(code);
        expect(await databaseExists(fx.observer, target)).toBe(false);
        // Proved before any tool ran: pg_restore was never started.
        expect([...pids.values()]).toEqual([]);
      }
      await mgr.close();
      expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0)).toBe(true);
    },
  );

  it.each(cases)('%s, existing empty target: it stays empty', async (_, id, keys, code) => {
    const target = `${fx.dbName}_old_${code.slice(0, 3).toLowerCase()}`;
    await fx.observer.query(`CREATE DATABASE "${target}"`);
    await using mgr = new DatabaseBackupManager(fx.url, { storage, ...keys });
    const err = await mgr.restoreBackup(id(), { targetDatabase: target }).catch((e) => e);
    expect(err.code, err.message).toBe(code);
    expect(await databaseExists(fx.observer, target)).toBe(true);
    expect(await tablesIn(target)).toBe(0);
    await fx.observer.query(`DROP DATABASE "${target}" WITH (FORCE)`);
  });

  it('a failure after the target was created (pg_restore killed) drops the database it created', async () => {
    const target = `${fx.dbName}_killed`;
    await using mgr = new DatabaseBackupManager(fx.url, { storage, encryptionKey: PASS });
    const watch = watchChildren(['pg_restore']);
    const err = await mgr
      .restoreBackup(good, {
        targetDatabase: target,
        onSpawn: ({ pid }) => process.kill(pid, 'SIGKILL'),
      })
      .catch((e) => e);
    const pids = watch.stop();
    expect(err.code, err.message).toMatch(/RESTORE_FAILED|TOOL_FAILED/);
    expect(stillThere(pids)).toEqual([]);
    expect(await databaseExists(fx.observer, target)).toBe(false);
  });

  it('the good backup restores (the proof does not get in the way), streamed and parallel', async () => {
    await using mgr = new DatabaseBackupManager(fx.url, { storage, encryptionKey: PASS });
    for (const jobs of [1, 2]) {
      const target = `${fx.dbName}_ok${jobs}`;
      await mgr.restoreBackup(good, { targetDatabase: target, jobs });
      const db = createDatabase(fx.url.replace(/\/[^/?]+(\?|$)/, `/${target}$1`), { poolMax: 1 });
      const res = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM noise');
      await db.close();
      expect(res.rows[0]!.n).toBe(60_000);
      await fx.observer.query(`DROP DATABASE "${target}" WITH (FORCE)`);
    }
  });
});
