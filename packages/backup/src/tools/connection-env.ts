import { type Database, parseDatabaseUrl } from '@voicehive/db-core';

export interface Credentials {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

/** Where and as whom `db` connects, including a pool built from a connectionString. */
export function credentials(db: Database): Credentials {
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

/**
 * libpq environment for a child tool. The password travels in PGPASSWORD,
 * never in argv (visible in `ps`) and never in logs.
 */
export function connectionEnv(db: Database, database?: string): NodeJS.ProcessEnv {
  const cfg = db.clientConfig();
  const c = credentials(db);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: database ?? c.database,
    PGAPPNAME: 'voicehive-dbrs-backup',
    PGCONNECT_TIMEOUT: '10',
  };
  delete env['PGPASSWORD'];
  if (c.password) env['PGPASSWORD'] = c.password;
  const ssl = cfg.ssl as unknown;
  if (ssl && typeof ssl === 'object') {
    const s = ssl as { rejectUnauthorized?: boolean; ca?: unknown };
    env['PGSSLMODE'] = s.rejectUnauthorized === false ? 'require' : 'verify-full';
  } else if (ssl === true) {
    env['PGSSLMODE'] = 'require';
  } else {
    env['PGSSLMODE'] = 'disable';
  }
  return env;
}
