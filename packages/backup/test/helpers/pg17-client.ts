import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The PostgreSQL 17 client tools (pg_basebackup, pg_combinebackup,
 * pg_verifybackup, pg_waldump, pg_controldata) the incremental tests hand the manager as
 * binDir: scripts/install-pg17-client.sh puts them in /opt/dbrs-pg17/bin on
 * Debian 12, whose apt has only 15; DBRS_PG17_BIN names another directory.
 */
export const PG17_CLIENT_BIN = process.env['DBRS_PG17_BIN'] ?? '/opt/dbrs-pg17/bin';

export const PG17_CLIENT_HINT =
  'bash scripts/install-pg17-client.sh (PostgreSQL 17 client tools from Debian trixie into /opt/dbrs-pg17), or set DBRS_PG17_BIN';

/** Whether every tool the incremental tests run is there and of major 17 or newer. */
export async function pg17ClientAvailable(): Promise<boolean> {
  const run = promisify(execFile);
  for (const tool of ['pg_basebackup', 'pg_combinebackup', 'pg_verifybackup', 'pg_waldump', 'pg_controldata']) {
    try {
      const { stdout } = await run(join(PG17_CLIENT_BIN, tool), ['--version'], { timeout: 20_000 });
      const major = Number(/\(PostgreSQL\) (\d+)/.exec(stdout)?.[1] ?? 0);
      if (major < 17) return false;
    } catch {
      return false;
    }
  }
  return true;
}
