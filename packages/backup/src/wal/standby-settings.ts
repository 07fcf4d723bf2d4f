import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DbrsError } from '@voicehive/db-core';

const execFileAsync = promisify(execFile);

/** pg_controldata line → the server setting a hot standby must not set lower than the primary did. */
const MINIMUMS: Record<string, string> = {
  'max_connections setting': 'max_connections',
  'max_worker_processes setting': 'max_worker_processes',
  'max_wal_senders setting': 'max_wal_senders',
  'max_prepared_xacts setting': 'max_prepared_transactions',
  'max_locks_per_xact setting': 'max_locks_per_transaction',
};

/**
 * The settings a server replaying `dataDir`'s WAL in hot standby needs: at
 * least the primary's values recorded in the control file, or PostgreSQL
 * aborts recovery ("insufficient parameter settings"). We read the point
 * reached through hot standby, so the private server starts with these
 * rather than its own small defaults.
 */
export async function hotStandbyMinimums(postgres: string, dataDir: string): Promise<Record<string, string>> {
  const tool = join(dirname(postgres), 'pg_controldata');
  let out: string;
  try {
    out = (await execFileAsync(tool, [dataDir], { timeout: 30_000, env: { ...process.env, LC_ALL: 'C' } })).stdout;
  } catch (err) {
    throw new DbrsError('RESTORE_FAILED', `pg_controldata could not read the restored directory ${dataDir}.`, {
      cause: err,
      hint: `It is installed next to ${postgres}; the directory must hold a complete base backup.`,
    });
  }
  const settings: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([^:]+):\s+(\d+)\s*$/.exec(line);
    const name = m && MINIMUMS[m[1]!.trim()];
    if (name) settings[name] = m[2]!;
  }
  return settings;
}
