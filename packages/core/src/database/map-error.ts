import { DbrsError, isDbrsError } from '../errors.js';
import { redactString } from '../util/redact.js';
import type { ConnectionInfo } from './connection-info.js';
import { isTlsFailure, tlsHint } from './tls.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'EPIPE',
]);

/**
 * Turns a pg / socket error into a DbrsError that names the server (never the
 * password) and says what to do. SQLSTATE and the server's message are kept
 * in `details` for callers that branch on them.
 */
export function mapDatabaseError(err: unknown, where: ConnectionInfo, context = 'query'): DbrsError {
  if (isDbrsError(err)) return err;
  const e = err as { code?: string; message?: string; severity?: string };
  const code = e?.code;
  const server = `${where.host}:${where.port}`;
  const message = redactString(e?.message ?? String(err));
  const details = {
    sqlstate: code,
    host: where.host,
    port: where.port,
    database: where.database,
    serverMessage: message,
  };
  if (isTlsFailure(err) && !/^[0-9A-Z]{5}$/.test(code ?? '')) {
    // Named by mode so the reader knows which promise failed; never downgraded to plain text.
    return new DbrsError(
      'DATABASE_TLS',
      `TLS to PostgreSQL at ${server} failed (sslmode ${where.sslMode ?? 'unknown'}): ${message}`,
      { cause: err, details: { ...details, sslMode: where.sslMode }, hint: tlsHint(err, where.sslMode) },
    );
  }
  if (code && CONNECTION_CODES.has(code)) {
    return new DbrsError('CONNECTION_FAILED', `Cannot connect to PostgreSQL at ${server} (${code}).`, {
      cause: err,
      details,
      hint: 'Check that the server is running and that host and port are right.',
    });
  }
  if (code === '28P01' || code === '28000') {
    return new DbrsError('AUTHENTICATION_FAILED', `PostgreSQL at ${server} rejected user "${where.user}" (${code}).`, {
      cause: err,
      details,
      hint: 'Check the user name and password (DB_USER / DB_PASSWORD or the URL).',
    });
  }
  if (code === '3D000') {
    return new DbrsError('NOT_FOUND', `Database "${where.database}" does not exist on ${server}.`, {
      cause: err,
      details,
      hint: 'Create it or fix the database name.',
    });
  }
  if (code === '42501') {
    return new DbrsError('PERMISSION_DENIED', `Permission denied during ${context}: ${message}`, {
      cause: err,
      details,
      hint: 'Grant the role the privilege named above (for monitoring, GRANT pg_monitor TO <role>).',
    });
  }
  if (code === '57014') {
    return new DbrsError('ABORTED', `The ${context} was cancelled on ${server}.`, { cause: err, details });
  }
  if (
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    /terminat|Connection terminated|connection.*(closed|lost)/i.test(message)
  ) {
    return new DbrsError('CONNECTION_FAILED', `The connection to PostgreSQL at ${server} was lost during ${context}.`, {
      cause: err,
      details,
      hint: 'The server restarted or the session was terminated; retry when it is back.',
    });
  }
  if (/timeout/i.test(message) && !code) {
    return new DbrsError('TIMEOUT', `Timed out connecting to PostgreSQL at ${server}.`, {
      cause: err,
      details,
      hint: 'Check network reachability or raise the connection timeout.',
    });
  }
  return new DbrsError('QUERY_FAILED', `PostgreSQL ${context} failed${code ? ` (${code})` : ''}: ${message}`, {
    cause: err,
    details,
  });
}
