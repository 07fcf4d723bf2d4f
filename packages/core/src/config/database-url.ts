import { parseDatabaseUrl } from '../database/connection-info.js';
import { resolveTls, tlsFromUrlParams } from '../database/tls.js';
import type { DatabaseConfig } from './schema.js';

/** The fields `databaseUrlFromConfig` reads; a whole `config.database` fits. */
export type DatabaseUrlFields = Pick<DatabaseConfig, 'host' | 'port' | 'name' | 'user'> &
  Partial<Pick<DatabaseConfig, 'url' | 'password' | 'sslMode' | 'sslCaFile' | 'sslCertFile' | 'sslKeyFile'>>;

/**
 * A postgres:// URL for `config.database`, for pg, pg_dump and psql alike.
 * With `url` set, its host, user and database are kept and the TLS fields
 * are added to it (they must agree with any the URL already has: see
 * `resolveTls`). Otherwise user, password and database name are
 * percent-encoded (a password may hold `@`, `/` or `:`), an IPv6 host is
 * bracketed, and a Unix socket directory becomes an encoded host
 * (`%2Fvar%2Frun%2Fpostgresql`), which libpq and pg both read as a socket.
 * `sslmode` is always written so the URL means the same everywhere. The
 * result holds the password: pass it to a client, never to a log.
 */
export function databaseUrlFromConfig(database: DatabaseUrlFields): string {
  if (database.url !== undefined && database.url !== '') {
    const parsed = parseDatabaseUrl(database.url);
    const tls = resolveTls(tlsFromUrlParams(parsed.params, parsed.sslMode), database);
    const url = new URL(database.url);
    writeTls(url.searchParams, tls);
    return url.toString();
  }
  const user = encodeURIComponent(database.user);
  const password =
    database.password !== undefined && database.password !== '' ? `:${encodeURIComponent(database.password)}` : '';
  const host = database.host.startsWith('/')
    ? encodeURIComponent(database.host)
    : database.host.includes(':') && !database.host.startsWith('[')
      ? `[${database.host}]`
      : database.host;
  const params = new URLSearchParams();
  writeTls(params, resolveTls({}, database));
  return `postgres://${user}${password}@${host}:${database.port}/${encodeURIComponent(database.name)}?${params}`;
}

function writeTls(params: URLSearchParams, tls: ReturnType<typeof resolveTls>): void {
  params.set('sslmode', tls.mode);
  if (tls.caFile !== undefined) params.set('sslrootcert', tls.caFile);
  if (tls.certFile !== undefined) params.set('sslcert', tls.certFile);
  if (tls.keyFile !== undefined) params.set('sslkey', tls.keyFile);
}
