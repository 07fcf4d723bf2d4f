import { type ChildProcess, spawn } from 'node:child_process';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { abortError, createDatabase, type Database, DbrsError, errorMessage } from '@voicehive/db-core';
import { serviceUser } from '../tools/service-user.js';

export interface ScratchServerOptions {
  /** The `postgres` binary of the data directory's major version. */
  postgres: string;
  dataDir: string;
  /** Holds the unix socket and the server log; must be writable by the server's OS user. */
  runDir: string;
  /** How long crash recovery may take before giving up, in ms. */
  startTimeoutMs: number;
  signal?: AbortSignal;
  /** More server settings (a point-in-time restore adds restore_command and hot_standby). Default none. */
  settings?: Record<string, string>;
}

export interface ScratchServer {
  /** A connection to `database` over the private unix socket (trust auth). */
  connect(database: string, user: string): Database;
  stop(): Promise<void>;
}

// Any number works: with no TCP listener the port only names the socket file, in our own directory.
const SOCKET_PORT = 5432;

/**
 * Starts PostgreSQL on a restored data directory, reachable only through a
 * unix socket in `runDir` (no TCP port to collide with, nothing else can
 * connect). Settings given on the command line win over the backup's own
 * postgresql.conf and postgresql.auto.conf, so a production configuration
 * (archive_command, large shared_buffers, replication) cannot leak into the
 * test. Without recovery.signal the server runs crash recovery from
 * backup_label to the end of the WAL in pg_wal, which the `-X stream`
 * backup contains: that reaches consistency, and nothing else is fetched.
 */
// Long: start-up, readiness wait and the failure cleanup share the child process and its log tail.
export async function startScratchServer(o: ScratchServerOptions): Promise<ScratchServer> {
  if (o.runDir.length > 90) {
    throw new DbrsError('INVALID_ARGUMENT', `The scratch directory path is too long for a unix socket: ${o.runDir}.`, {
      hint: 'Use a shorter tempDir.',
    });
  }
  const hba = join(o.runDir, 'pg_hba.conf');
  await writeFile(hba, 'local all all trust\n');
  // A Debian cluster keeps its configuration in /etc, outside the backup: the server needs a file to exist.
  for (const f of ['postgresql.conf', 'pg_ident.conf']) {
    const p = join(o.dataDir, f);
    if (!(await stat(p).catch(() => undefined))) await writeFile(p, '');
  }
  const settings: Record<string, string> = {
    listen_addresses: '',
    unix_socket_directories: o.runDir,
    port: String(SOCKET_PORT),
    hba_file: hba,
    ident_file: join(o.dataDir, 'pg_ident.conf'),
    archive_mode: 'off',
    max_wal_senders: '0',
    max_replication_slots: '0',
    max_connections: '20',
    shared_buffers: '64MB',
    autovacuum: 'off',
    fsync: 'off',
    synchronous_commit: 'off',
    logging_collector: 'off',
    log_min_messages: 'warning',
    ...o.settings,
  };
  const args = ['-D', o.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const logPath = join(o.runDir, 'server.log');
  const log = await open(logPath, 'a');
  const user = serviceUser();
  let child: ChildProcess;
  try {
    child = spawn(o.postgres, args, {
      stdio: ['ignore', log.fd, log.fd],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
  } finally {
    await log.close();
  }
  let exited: { code: number | null; signal: string | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', () => {
      exited ??= { code: -1, signal: null };
      resolve();
    });
  });

  const tailLog = async () =>
    (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join(' | ');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited) return;
      // SIGINT is the fast shutdown (pg_ctl -m fast); SIGQUIT if it hangs.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      const hard = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exit;
      clearTimeout(timer);
      clearTimeout(hard);
    })();
    return stopping;
  };
  const connect = (database: string, user: string) =>
    createDatabase(
      { host: o.runDir, port: SOCKET_PORT, name: database, user },
      { poolMax: 2, applicationName: 'voicehive-dbrs-verify', connectionTimeoutMs: 10_000 },
    );

  try {
    const deadline = Date.now() + o.startTimeoutMs;
    for (;;) {
      if (o.signal?.aborted) throw abortError(o.signal, 'verification');
      if (exited) {
        throw new DbrsError(
          'VERIFY_FAILED',
          `The restored physical backup did not start (postgres exited with ${exited.signal ?? exited.code}): ${await tailLog()}`,
          { details: { log: logPath } },
        );
      }
      if (Date.now() > deadline) {
        throw new DbrsError(
          'TIMEOUT',
          `The restored physical backup did not accept connections within ${o.startTimeoutMs} ms: ${await tailLog()}`,
        );
      }
      if (await accepting(connect)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { connect, stop };
}

/** True once the server answers (it refuses with "starting up" during recovery). */
async function accepting(connect: ScratchServer['connect']): Promise<boolean> {
  const probe = connect('template1', 'postgres');
  try {
    await probe.query('SELECT 1');
    return true;
  } catch (err) {
    // A missing role still proves the server accepts connections.
    return /role .* does not exist/.test(errorMessage(err));
  } finally {
    await probe.close().catch(() => {});
  }
}
