import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import { type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

let server: PostgresServer;
let db: Database;
let dir: string;
let config: string;
let store: string;

async function settings(): Promise<Record<string, { setting: string; pending: boolean }>> {
  const r = await db.query<{ name: string; setting: string; pending: boolean }>(
    `SELECT name, setting, pending_restart AS pending FROM pg_settings
      WHERE name IN ('wal_level', 'archive_mode', 'archive_command', 'archive_timeout')`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.name, { setting: x.setting, pending: x.pending }]));
}

beforeAll(async () => {
  // A server of its own (ALTER SYSTEM and a restart), archiving off as PostgreSQL ships.
  server = await startPostgres({ source: 'local', settings: { archive_mode: 'off' } });
  db = createDatabase(server.url, { poolMax: 2 });
  dir = await mkdtemp(join(tmpdir(), 'dbrs-walsetup-'));
  await chmod(dir, 0o755);
  store = join(dir, 'store');
  await mkdir(join(store, 'wal', '_meta'), { recursive: true });
  // The archive_command runs as the postgres OS user: it reads the config and writes the store.
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', store]);
  config = join(dir, 'dbrs.yaml');
  await writeFile(
    config,
    [
      'backup:',
      '  enabled: true',
      '  backupType: physical',
      '  storageType: local',
      `  localPath: ${store}`,
      '  encryptionKey: wal setup test passphrase',
      '',
    ].join('\n'),
  );
  await chmod(config, 0o644);
  await db.query(`CREATE ROLE walop LOGIN PASSWORD 'walop-pw' NOSUPERUSER`);
}, 180_000);
afterAll(async () => {
  await db?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dbrs wal setup [--apply] (real PostgreSQL 15)', { timeout: 300_000 }, () => {
  it('a non-superuser gets PERMISSION_DENIED with the way out, and nothing changes', async () => {
    const before = await settings();
    const url = new URL(server.url);
    url.username = 'walop';
    url.password = 'walop-pw';
    const r = await runCli(['wal', 'setup', '--apply', '--config', config], {
      env: { DATABASE_URL: url.toString() },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PERMISSION_DENIED/);
    expect(r.stderr).toMatch(/wal setup --apply needs a superuser \(ALTER SYSTEM\)/);
    expect(r.stderr).toMatch(/postgresql\.conf yourself/);
    expect(await settings()).toEqual(before);
  });

  it('shows what is missing, applies it as a superuser through ALTER SYSTEM, and after the restart WAL is archived', async () => {
    const env = { DATABASE_URL: server.url };
    const shown = await runCli(['wal', 'setup', '--json', '--config', config], { env });
    expect(shown.code, shown.stderr).toBe(0);
    const plan = shown.json();
    const byName = Object.fromEntries(plan.settings.map((s: { name: string }) => [s.name, s]));
    expect(byName.archive_mode).toMatchObject({ current: 'off', wanted: 'on', ok: 'no', needs: 'restart' });
    expect(byName.archive_timeout).toMatchObject({ wanted: '60', ok: 'no', needs: 'reload' });
    expect(byName.wal_level).toMatchObject({ current: 'replica', ok: 'yes' });
    expect(byName.archive_command.wanted).toMatch(/ wal push "%p" --config /);
    expect(plan.applied).toEqual([]);
    // Showing changed nothing.
    expect((await settings()).archive_mode!.setting).toBe('off');

    const applied = await runCli(['wal', 'setup', '--apply', '--json', '--config', config], { env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json()).toMatchObject({
      applied: ['archive_command', 'archive_mode', 'archive_timeout'],
      restartNeeded: true,
    });
    // Reloaded: the reloadable settings are live, archive_mode waits for the restart.
    const now = await settings();
    expect(now.archive_timeout!.setting).toBe('60');
    // PostgreSQL shows archive_command as "(disabled)" while archive_mode is off: read it from the file below.
    expect(now.archive_command!.setting).toBe('(disabled)');
    expect(now.archive_mode).toEqual({ setting: 'off', pending: true });
    const auto = await db.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' ORDER BY name`,
    );
    expect(auto.rows).toEqual([
      { name: 'archive_command', setting: byName.archive_command.wanted },
      { name: 'archive_mode', setting: 'on' },
      { name: 'archive_timeout', setting: '60' },
    ]);

    await db.close();
    await server.stopServer!('fast');
    await server.startServer!();
    db = createDatabase(server.url, { poolMax: 2 });
    const restarted = await settings();
    expect(restarted.archive_mode).toEqual({ setting: 'on', pending: false });
    expect(restarted.archive_command!.setting).toBe(byName.archive_command.wanted);
    const again = await runCli(['wal', 'setup', '--apply', '--json', '--config', config], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().applied).toEqual([]);
    expect(again.json().settings.every((s: { ok: string }) => s.ok === 'yes')).toBe(true);

    // What was set up works: a switched segment reaches the storage through the configured command.
    await db.query('SELECT pg_logical_emit_message(false, $1, $2)', ['dbrs-test', 'setup']);
    const seg = (await db.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name')).rows[0]!.name;
    const deadline = Date.now() + 120_000;
    while (!(await readdir(join(store, 'wal')).catch(() => [] as string[])).includes(seg)) {
      if (Date.now() > deadline) {
        const s = await db.query('SELECT * FROM pg_stat_archiver');
        throw new Error(`${seg} was not archived: ${JSON.stringify(s.rows[0])}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    const failed = await db.query<{ failed: string }>('SELECT failed_count::text AS failed FROM pg_stat_archiver');
    expect(failed.rows[0]!.failed).toBe('0');
  });
});
