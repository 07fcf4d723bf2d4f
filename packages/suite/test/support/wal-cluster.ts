import { execFileSync } from 'node:child_process';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import { type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { CLI_LAUNCH } from './run-cli.js';

/** Shell-quotes one word for archive_command / restore_command. */
export function sq(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface WalCluster {
  server: PostgresServer;
  db: Database;
  /** Scratch directory (traversable by the postgres OS user). */
  dir: string;
  /** The local backup storage archive_command writes into. */
  storePath: string;
  /** Environment for `dbrs` (storage + key) as the archive_command gets it. */
  env: Record<string, string>;
  /** `<env> node <cli>`: prefix of archive_command/restore_command. */
  command: string;
  /** Waits until pg_stat_archiver has archived `name` (or a later file). */
  waitArchived(name: string, timeoutMs?: number): Promise<void>;
  switchWal(): Promise<string>;
  done(): Promise<void>;
}

/**
 * PostgreSQL with archive_mode=on and archive_command calling our CLI (run
 * by the server as the postgres OS user), archiving into a local storage
 * with an encryption key, as an operator would set it up.
 */
export async function startWalCluster(
  options: { key?: string; settings?: Record<string, string | number | boolean> } = {},
): Promise<WalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'dbrs-wal-'));
  await chmod(dir, 0o755);
  const storePath = join(dir, 'store');
  // Shared by archive_command (the postgres OS user) and this process (maybe root): both write under wal/.
  await mkdir(join(storePath, 'wal', '_meta'), { recursive: true });
  await chmod(join(storePath, 'wal'), 0o777);
  await chmod(join(storePath, 'wal', '_meta'), 0o777);
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', storePath]);
  const env = {
    BACKUP_STORAGE_TYPE: 'local',
    BACKUP_LOCAL_PATH: storePath,
    BACKUP_ENCRYPTION_KEY: options.key ?? 'wal e2e passphrase',
    NODE_OPTIONS: '',
  };
  const envWords = Object.entries(env)
    .map(([k, v]) => `${k}=${sq(v)}`)
    .join(' ');
  const command = `${envWords} ${sq(process.execPath)} ${CLI_LAUNCH.argv.map(sq).join(' ')}`;
  const server = await startPostgres({
    settings: {
      archive_mode: 'on',
      archive_command: `${command} wal push "%p"`,
      archive_timeout: 0,
      ...options.settings,
    },
  });
  const db = createDatabase(server.url, { poolMax: 3 });
  const cluster: WalCluster = {
    server,
    db,
    dir,
    storePath,
    env,
    command,
    async switchWal() {
      // A record first, so the switch is never a no-op on an idle segment.
      await db.query('SELECT pg_logical_emit_message(false, $1, $2)', ['dbrs-test', String(Date.now())]);
      const r = await db.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name');
      return r.rows[0]!.name;
    },
    async waitArchived(name, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await db.query<{ last: string | null; failed: string; last_failed: string | null }>(
          'SELECT last_archived_wal AS last, failed_count::text AS failed, last_failed_wal AS last_failed FROM pg_stat_archiver',
        );
        const last = r.rows[0]!.last;
        if (last && last.slice(0, 24) >= name) return;
        if (Date.now() > deadline) {
          const log = await readFile(join(dirname(server.dataDir ?? ''), 'server.log'), 'utf8').catch(() => '');
          throw new Error(
            `${name} not archived after ${timeoutMs} ms: ${JSON.stringify(r.rows[0])}\n${log.slice(-3000)}`,
          );
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    },
    async done() {
      await db.close().catch(() => {});
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

export interface ArchiveStandby {
  db: Database;
  /** pg_promote(): the standby opens read-write on the next timeline (and archives its history file). */
  promote(): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => res(port));
    });
  });
}

function asPostgres(cmd: string, args: string[]): void {
  const user = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const [bin, ...rest] = [...user, cmd, ...args];
  execFileSync(bin!, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

/**
 * A second server made the way a failover replica is: pg_basebackup of the
 * primary, standby.signal, WAL from the archive through `dbrs wal fetch`, and
 * archive_command = `dbrs wal push` (a standby archives once promoted). Its
 * promotion is a real timeline switch in the shared archive.
 */
export async function startArchiveStandby(c: WalCluster): Promise<ArchiveStandby> {
  const bin = c.server.binDir;
  if (!bin) throw new Error('the WAL cluster has no binDir: a local PostgreSQL is needed for a standby');
  const dir = await mkdtemp(join(c.dir, 'standby-'));
  await chmod(dir, 0o755);
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  asPostgres(join(bin, 'pg_basebackup'), ['-d', c.server.url, '-D', data, '-X', 'stream', '-c', 'fast']);
  const port = await freePort();
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    restore_command: `${c.command} wal fetch "%f" "%p" --prefetch 0`,
    archive_mode: 'on',
    archive_command: `${c.command} wal push "%p"`,
    primary_conninfo: '',
  };
  await appendFile(
    join(data, 'postgresql.auto.conf'),
    `\n${Object.entries(settings)
      .map(([k, v]) => `${k} = '${v.replaceAll("'", "''")}'`)
      .join('\n')}\n`,
  );
  await writeFile(join(data, 'standby.signal'), '');
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', data]);
  asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '120', 'start']);
  const db = createDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, { poolMax: 2 });
  return {
    db,
    async promote() {
      await db.query('SELECT pg_promote(true, 120)');
      const r = await db.query<{ tli: number }>(
        `SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`,
      );
      return Number(r.rows[0]!.tli);
    },
    async stop() {
      await db.close().catch(() => {});
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
}
