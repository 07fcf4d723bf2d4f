import { DbrsError } from '../errors.js';
import { errorMessage } from '../util/error-message.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** Where a database is, without the password: safe to log and show. */
export interface ConnectionInfo {
  host: string;
  port: number;
  database: string;
  user: string;
  /** TLS mode in use, when known (named in connection errors). */
  sslMode?: SslMode;
}

export interface ParsedUrl extends ConnectionInfo {
  password: string | undefined;
  sslMode: SslMode | undefined;
  params: Record<string, string>;
}

const SSL_MODES: ReadonlySet<string> = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

/** Parses a postgres:// URL; the error never repeats the URL (it may hold a password). */
export function parseDatabaseUrl(url: string): ParsedUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new DbrsError('DATABASE_URL_INVALID', 'The database URL is not a valid URL.', {
      cause: undefined,
      details: { reason: errorMessage(cause).replace(url, '<url>') },
      hint: 'Use the form postgres://user:password@host:5432/database.',
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbrsError('DATABASE_URL_INVALID', `The database URL has scheme "${parsed.protocol}".`, {
      hint: 'Use postgres:// or postgresql://.',
    });
  }
  const params = Object.fromEntries(parsed.searchParams.entries());
  const host = decodePart(parsed.hostname, 'host') || params['host'] || 'localhost';
  const portText = parsed.port || params['port'] || '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new DbrsError('DATABASE_URL_INVALID', `The database URL has an invalid port "${portText}".`, {
      hint: 'Use a port between 1 and 65535.',
    });
  }
  const sslMode = params['sslmode'];
  if (sslMode !== undefined && !SSL_MODES.has(sslMode)) {
    throw new DbrsError('DATABASE_URL_INVALID', `The database URL has an unknown sslmode "${sslMode}".`, {
      hint: 'Use disable, require, verify-ca or verify-full.',
    });
  }
  return {
    host,
    port,
    database: decodePart(parsed.pathname.replace(/^\//, ''), 'database name') || params['dbname'] || 'postgres',
    user: decodePart(parsed.username, 'user name') || params['user'] || 'postgres',
    password: parsed.password ? decodePart(parsed.password, 'password') : params['password'],
    sslMode: sslMode === 'allow' || sslMode === 'prefer' ? 'disable' : (sslMode as SslMode | undefined),
    params,
  };
}

/**
 * decodeURIComponent, but a malformed %-escape ("%zz", a lone "%") is a
 * DATABASE_URL_INVALID naming the part, instead of a bare "URI malformed".
 * The part's text is never quoted: it may be the password.
 */
function decodePart(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new DbrsError('DATABASE_URL_INVALID', `The database URL's ${part} has a malformed %-escape.`, {
      hint: 'Percent-encode reserved characters in the URL (a literal "%" is %25, "@" is %40, "/" is %2F, ":" is %3A).',
    });
  }
}

/** Builds a URL for the same server with another database name (scratch databases, restores). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function describeConnection(info: ConnectionInfo): string {
  return `${info.user}@${info.host}:${info.port}/${info.database}`;
}
