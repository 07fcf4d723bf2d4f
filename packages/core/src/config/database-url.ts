import type { DatabaseConfig } from './schema.js';

/** The fields `databaseUrlFromConfig` reads; a whole `config.database` fits. */
export type DatabaseUrlFields = Pick<DatabaseConfig, 'host' | 'port' | 'name' | 'user' | 'sslMode'> &
  Partial<Pick<DatabaseConfig, 'url' | 'password' | 'sslCaFile'>>;

/**
 * A postgres:// URL for `config.database`, for pg, pg_dump and psql alike.
 * `url` wins when set and is returned unchanged. Otherwise user, password and
 * database name are percent-encoded (a password may hold `@`, `/` or `:`),
 * an IPv6 host is bracketed, and a Unix socket directory becomes an encoded
 * host (`%2Fvar%2Frun%2Fpostgresql`), which libpq and pg both read as a
 * socket. `sslmode` is always written so the URL means the same everywhere;
 * `sslrootcert` carries the CA file. The result holds the password: pass it
 * to a client, never to a log (see `redactUrl`).
 */
export function databaseUrlFromConfig(database: DatabaseUrlFields): string {
  if (database.url !== undefined && database.url !== '') return database.url;
  const user = encodeURIComponent(database.user);
  const password =
    database.password !== undefined && database.password !== '' ? `:${encodeURIComponent(database.password)}` : '';
  const host = database.host.startsWith('/')
    ? encodeURIComponent(database.host)
    : database.host.includes(':') && !database.host.startsWith('[')
      ? `[${database.host}]`
      : database.host;
  const params = new URLSearchParams({ sslmode: database.sslMode });
  if (database.sslCaFile !== undefined) params.set('sslrootcert', database.sslCaFile);
  return `postgres://${user}${password}@${host}:${database.port}/${encodeURIComponent(database.name)}?${params}`;
}
