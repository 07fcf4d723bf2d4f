import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabase, type Database } from '@voicehive/db-core';
import { createTestDatabase, loadHotelWorkload, type PostgresServer, startPostgres } from '@voicehive/db-testing';

const run = promisify(execFile);

export interface FaultFixture {
  server: PostgresServer;
  dbName: string;
  url: string;
  /** A connection that is not the backup's: it watches pg_stat_activity and checks targets. */
  observer: Database;
  dir: string;
  /** Stops PostgreSQL (fast) and starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops PostgreSQL (fast) without starting it again. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  done(): Promise<void>;
}

/**
 * A throwaway server with a small hotel database plus `noise`: `rows` rows of
 * 32 random bytes each, which no compressor shrinks below their binary size,
 * so a backup reliably outgrows a small tmpfs.
 */
export async function faultFixture(options: { noiseRows?: number } = {}): Promise<FaultFixture> {
  const server = await startPostgres();
  const tdb = await createTestDatabase(server);
  await loadHotelWorkload(tdb.url, { scale: 0.05, seed: 11 });
  const observer = createDatabase(tdb.url, { poolMax: 2, applicationName: 'fault-observer' });
  await observer.query(
    `CREATE TABLE noise AS SELECT g AS id, decode(md5(random()::text) || md5(random()::text), 'hex') AS b
       FROM generate_series(1, ${options.noiseRows ?? 150_000}) g`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'vhbk-fault-'));
  const pgCtl = async (args: string[]) => {
    if (!server.dataDir || !server.binDir) throw new Error('restarting needs a local cluster (dataDir, binDir)');
    const ctl = join(server.binDir, 'pg_ctl');
    const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ctl] : [ctl];
    await run(asPostgres[0]!, [...asPostgres.slice(1), '-D', server.dataDir, ...args], { timeout: 120_000 });
  };
  const logFile = () => join(server.dataDir!, '..', 'server.log');
  return {
    server,
    dbName: tdb.name,
    url: tdb.url,
    observer,
    dir,
    stopServer: () => pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']),
    startServer: () => pgCtl(['-l', logFile(), '-w', '-t', '60', 'start']),
    async restart() {
      await pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']);
      await pgCtl(['-l', logFile(), '-w', '-t', '60', 'start']);
    },
    async done() {
      await observer.close().catch(() => {});
      await tdb.drop().catch(() => {});
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a database exists on the fixture's server. */
export async function databaseExists(observer: Database, name: string): Promise<boolean> {
  const res = await observer.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return res.rows.length > 0;
}
