import { parseDatabaseUrl } from './connection-info.js';
import type { Database } from './database.js';
import { libpqTlsEnv } from './tls.js';

/** Where and as whom a Database connects, including a pool built from a connection string. */
export interface ConnectionCredentials {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

export function connectionCredentials(db: Database): ConnectionCredentials {
  const cfg = db.clientConfig();
  const fromUrl = typeof cfg.connectionString === 'string' ? parseDatabaseUrl(cfg.connectionString) : undefined;
  const password = typeof cfg.password === 'string' ? cfg.password : fromUrl?.password;
  return {
    host: String(cfg.host ?? fromUrl?.host ?? db.info.host),
    port: Number(cfg.port ?? fromUrl?.port ?? db.info.port),
    user: String(cfg.user ?? fromUrl?.user ?? db.info.user),
    password: password || undefined,
    database: String(cfg.database ?? fromUrl?.database ?? db.info.database),
  };
}

export interface LibpqEnvOptions {
  /** Another database on the same server (scratch, restore target). Default: the Database's own. */
  database?: string;
  /** PGAPPNAME, shown in pg_stat_activity. Default `'voicehive-dbrs'`. */
  applicationName?: string;
  /** Environment to extend. Default: `process.env`. */
  base?: NodeJS.ProcessEnv;
}

/**
 * The libpq environment for a child tool (pg_dump, pg_restore,
 * pg_basebackup, psql) that connects where `db` connects, with the same TLS:
 * PGSSLMODE is always set (also `disable`, so a PGSSLMODE inherited from the
 * parent cannot change it), with PGSSLROOTCERT, PGSSLCERT and PGSSLKEY when
 * configured. The password travels in PGPASSWORD, never in argv (visible in
 * `ps`) and never in logs. Inherited PG* connection variables are replaced.
 */
export function libpqEnv(db: Database, options: LibpqEnvOptions = {}): NodeJS.ProcessEnv {
  const c = connectionCredentials(db);
  const env: NodeJS.ProcessEnv = { ...(options.base ?? process.env) };
  for (const name of ['PGPASSWORD', 'PGSSLROOTCERT', 'PGSSLCERT', 'PGSSLKEY', 'PGSERVICE', 'PGSSLNEGOTIATION']) {
    delete env[name];
  }
  Object.assign(env, {
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: options.database ?? c.database,
    PGAPPNAME: options.applicationName ?? 'voicehive-dbrs',
    PGCONNECT_TIMEOUT: '10',
    ...libpqTlsEnv(db.tls),
  });
  if (c.password) env['PGPASSWORD'] = c.password;
  return env;
}
