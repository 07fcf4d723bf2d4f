import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbrsError } from '@voicehive/db-core';
import { debugLog } from '../internal/debug.js';
import { findFreePort } from '../internal/free-port.js';
import { withClient } from '../internal/pg-client.js';
import { reapOnExit } from '../internal/reaper.js';
import { serviceUser } from '../internal/service-user.js';
import { makeTempDir, removeDir } from '../internal/temp-dir.js';
import { waitForPort } from '../internal/wait-for-port.js';

export interface StartPgBouncerOptions {
  /** Port of the PostgreSQL server to pool (on postgresHost). Required. */
  postgresPort: number;
  /** Default '127.0.0.1'. */
  postgresHost?: string;
  /** Default 'session'. */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Default 20. */
  defaultPoolSize?: number;
  /** Default 200. */
  maxClientConn?: number;
  /** Users allowed through (auth_type = trust still needs them listed). Default ['postgres']. */
  users?: string[];
  /** More [pgbouncer] settings, overriding the ones above. Default none. */
  settings?: Record<string, string | number>;
  /** pgbouncer binary. Default: PGBOUNCER_BIN, else /usr/sbin/pgbouncer, else `pgbouncer` on PATH. */
  binary?: string;
}

export interface PgBouncerHandle extends AsyncDisposable {
  port: number;
  /** The admin console (database `pgbouncer`, user postgres): SHOW POOLS, RELOAD, … */
  adminUrl: string;
  /** A connection through the pooler to database `dbName` on the server. */
  url(dbName: string): string;
  /** Rewrites the config with these settings merged in (if given) and has pgbouncer re-read it (admin RELOAD). */
  reload(settings?: Record<string, string | number>): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
}

/** Where pgbouncer is on this machine, or undefined. */
export function findPgBouncer(): string | undefined {
  const candidates = [
    process.env['PGBOUNCER_BIN'],
    '/usr/sbin/pgbouncer',
    '/usr/bin/pgbouncer',
    '/usr/local/bin/pgbouncer',
  ];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'pgbouncer'))) return join(dir, 'pgbouncer');
  }
  return undefined;
}

/**
 * Debian's pgbouncer as a foreground child process on a free port, with
 * trust auth, no pid or log file (logs go to stderr, shown with
 * DBRS_TEST_DEBUG) and no unix socket. As root it runs with `-u postgres`
 * because pgbouncer refuses root; its config is world-readable for that.
 */
// Long: start-up, readiness wait and the failure cleanup share the child process.
export async function startPgBouncer(options: StartPgBouncerOptions): Promise<PgBouncerHandle> {
  const binary = options.binary ?? findPgBouncer();
  if (!binary) {
    throw new DbrsError('TOOL_MISSING', 'pgbouncer is not installed.', { hint: 'apt-get install pgbouncer' });
  }
  const dir = await makeTempDir('pgbouncer');
  const unreapDir = reapOnExit({ dir });
  await chmod(dir, 0o755);
  const configFile = join(dir, 'pgbouncer.ini');
  const authFile = join(dir, 'userlist.txt');
  const users = options.users ?? ['postgres'];
  await writeFile(authFile, `${users.map((user) => `"${user.replaceAll('"', '""')}" ""`).join('\n')}\n`, {
    mode: 0o644,
  });
  let extra: Record<string, string | number> = { ...options.settings };

  const writeConfig = async (port: number): Promise<void> => {
    const settings: Record<string, string | number> = {
      listen_addr: '127.0.0.1',
      listen_port: port,
      unix_socket_dir: '',
      auth_type: 'trust',
      auth_file: authFile,
      pool_mode: options.poolMode ?? 'session',
      default_pool_size: options.defaultPoolSize ?? 20,
      max_client_conn: options.maxClientConn ?? 200,
      admin_users: 'postgres',
      stats_users: 'postgres',
      // pg_dump and JDBC send it; pgbouncer would otherwise refuse the connection.
      ignore_startup_parameters: 'extra_float_digits',
      ...extra,
    };
    const lines = Object.entries(settings).map(([key, value]) => `${key} = ${value}`);
    const host = options.postgresHost ?? '127.0.0.1';
    await writeFile(
      configFile,
      `[databases]\n* = host=${host} port=${options.postgresPort}\n\n[pgbouncer]\n${lines.join('\n')}\n`,
      { mode: 0o644 },
    );
  };

  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    await writeConfig(port);
    const args = serviceUser() ? ['-u', 'postgres', configFile] : [configFile];
    const child: ChildProcess = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      debugLog('pgbouncer', chunk.trimEnd());
    });
    const unreapPid = child.pid === undefined ? () => {} : reapOnExit({ pid: child.pid, signal: 'SIGTERM' });
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const dead = (): boolean => child.exitCode !== null || child.signalCode !== null;
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (!dead()) {
          // SIGINT would wait for clients to finish ("safe shutdown"); tests want it gone now.
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await gone;
          clearTimeout(timer);
        }
        unreapPid();
        await removeDir(dir);
        unreapDir();
      })();
      return stopping;
    };
    try {
      await waitForPort(port, {
        timeoutMs: 15_000,
        isDead: () => (dead() ? `pgbouncer exited: ${stderr.trim().slice(-1000)}` : undefined),
      });
    } catch (error) {
      if (attempt < 4 && /Address already in use/i.test(stderr)) {
        unreapPid();
        continue;
      }
      await stop();
      throw new DbrsError('PGBOUNCER_FAILED', 'pgbouncer did not start.', { cause: error });
    }
    const url = (dbName: string): string => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(dbName)}`;
    return {
      port,
      adminUrl: url('pgbouncer'),
      url,
      reload: async (settings) => {
        if (settings) {
          extra = { ...extra, ...settings };
          await writeConfig(port);
        }
        // RELOAD on the admin console returns once the file is re-read; SIGHUP would not tell us when.
        await withClient(url('pgbouncer'), async (client) => {
          await client.query('RELOAD');
        });
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }
}
