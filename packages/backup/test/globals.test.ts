import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@voicehive/db-core';
import { createTestDatabase, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBackupManager } from '../src/index.js';
import { LocalStorage } from '../src/storage/local.js';

let source: PostgresServer;
let fresh: PostgresServer;
let dir: string;
beforeAll(async () => {
  [source, fresh] = await Promise.all([startPostgres(), startPostgres()]);
  dir = await mkdtemp(join(tmpdir(), 'vhbk-globals-'));
});
afterAll(async () => {
  await Promise.all([source?.stop(), fresh?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function query<T extends Record<string, unknown>>(url: string, sql: string, values: unknown[] = []) {
  const db = createDatabase(url, { poolMax: 1 });
  try {
    return (await db.query<T>(sql, values)).rows;
  } finally {
    await db.close();
  }
}

describe('restoreGlobals: roles from pg_dumpall --globals-only', () => {
  it('recreates a custom owner role on a fresh server before pg_restore, tolerating roles that exist', async () => {
    const role = `vh_app_owner_${Math.random().toString(16).slice(2, 8)}`;
    const src = await createTestDatabase(source);
    await query(source.superuserUrl, `CREATE ROLE "${role}" LOGIN PASSWORD 'owner-pw' CONNECTION LIMIT 7`);
    await query(source.superuserUrl, `ALTER DATABASE "${src.name}" OWNER TO "${role}"`);
    await query(src.url, 'CREATE TABLE rooms (id int PRIMARY KEY, name text)');
    await query(src.url, "INSERT INTO rooms SELECT g, 'room ' || g FROM generate_series(1, 50) g");
    await query(src.url, `ALTER TABLE rooms OWNER TO "${role}"`);

    await using mgr = new DatabaseBackupManager(src.url, {
      storage: new LocalStorage({ path: join(dir, 'store') }),
      encryptionKey: 'globals test passphrase',
    });
    const { backupId } = await mgr.createBackup(src.name, { globals: true });
    expect(await query(fresh.superuserUrl, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).toHaveLength(0);

    // Without the globals the owner is missing on the fresh server: pg_restore stops.
    const withoutGlobals = await createTestDatabase(fresh);
    await expect(mgr.restoreBackup(backupId, { targetUrl: withoutGlobals.url })).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      message: expect.stringContaining(`role "${role}" does not exist`),
    });

    const target = await createTestDatabase(fresh);
    const res = await mgr.restoreBackup(backupId, { targetUrl: target.url, restoreGlobals: true });
    // The fresh server's own bootstrap superuser already existed: tolerated and reported.
    expect(res.globals?.alreadyExisted).toContain('ERROR:  role "postgres" already exists');
    expect(res.globals?.alreadyExisted.some((e) => e.includes(role))).toBe(false);
    expect(
      await query(fresh.superuserUrl, 'SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1', [role]),
    ).toEqual([{ rolcanlogin: true, rolconnlimit: 7 }]);
    expect(await query(target.url, "SELECT tableowner FROM pg_tables WHERE tablename = 'rooms'")).toEqual([
      { tableowner: role },
    ]);
    expect(await query(target.url, 'SELECT count(*)::int AS n FROM rooms')).toEqual([{ n: 50 }]);

    // Again into another database: now the custom role exists too, and that is tolerated.
    const again = await createTestDatabase(fresh);
    const second = await mgr.restoreBackup(backupId, { targetUrl: again.url, restoreGlobals: true });
    expect(second.globals?.alreadyExisted).toContain(`ERROR:  role "${role}" already exists`);

    // A backup without globals cannot replay them: said clearly.
    const { backupId: plain } = await mgr.createBackup(src.name);
    const other = await createTestDatabase(fresh);
    await expect(mgr.restoreBackup(plain, { targetUrl: other.url, restoreGlobals: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('holds no globals'),
    });
  });
});
