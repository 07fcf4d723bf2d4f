import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PASSWORD_ROLE = 'dbrs_pw';
// A throwaway cluster on 127.0.0.1: the password only has to differ from a wrong one.
export const PASSWORD_ROLE_PASSWORD = 'dbrs-test-password';

export interface ClusterSettings {
  preloadQualstats: boolean;
  extra?: Record<string, string | number | boolean>;
}

function confValue(value: string | number | boolean): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The settings every throwaway cluster shares: the statistics extensions the
 * performance package reads, WAL and replication for physical backups, and
 * durability switched off because a test cluster never survives a crash.
 */
export function baseSettings(settings: ClusterSettings): Record<string, string | number | boolean> {
  const preload = ['pg_stat_statements', ...(settings.preloadQualstats ? ['pg_qualstats'] : [])];
  return {
    listen_addresses: '127.0.0.1',
    max_connections: 200,
    shared_preload_libraries: preload.join(','),
    'pg_stat_statements.track': 'all',
    // The shared server holds every test file's databases: with the default 5,000 entries a
    // whole CI run evicts the one-call statements a test has just sent and then reads back.
    'pg_stat_statements.max': 20000,
    // pg_qualstats samples 1/max_connections of queries by default; tests need every one.
    ...(settings.preloadQualstats ? { 'pg_qualstats.sample_rate': 1 } : {}),
    wal_level: 'replica',
    max_wal_senders: 10,
    fsync: false,
    synchronous_commit: false,
    ...settings.extra,
  };
}

export async function appendSettings(
  dataDir: string,
  settings: Record<string, string | number | boolean>,
): Promise<void> {
  const lines = Object.entries(settings).map(([name, value]) => `${name} = ${confValue(value)}`);
  await appendFile(join(dataDir, 'postgresql.conf'), `\n# @voicehive/db-testing\n${lines.join('\n')}\n`);
}

/**
 * Trust on loopback keeps tests free of secrets; `dbrs_pw` comes first so one
 * role still exercises real password authentication (scram-sha-256).
 */
export async function writeHba(dataDir: string): Promise<void> {
  const lines = [
    'local   all          all                       trust',
    'local   replication  all                       trust',
    `host    all          ${PASSWORD_ROLE}      127.0.0.1/32  scram-sha-256`,
    'host    all          all          127.0.0.1/32  trust',
    'host    replication  all          127.0.0.1/32  trust',
  ];
  await writeFile(join(dataDir, 'pg_hba.conf'), `${lines.join('\n')}\n`);
}
