import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { DbrsError } from '../errors.js';
import type { SslMode } from './connection-info.js';

/**
 * TLS for one database, in libpq's terms, so the pool, dedicated sessions
 * and child tools (pg_dump, psql…) all mean the same thing. File paths only:
 * nothing here is secret.
 */
export interface TlsSettings {
  mode: SslMode;
  /** CA certificate (PEM) that signed the server's certificate. */
  caFile?: string;
  /** Client certificate (PEM), with `keyFile`. */
  certFile?: string;
  keyFile?: string;
}

/** TLS fields as a caller gives them (config or options); every one optional. */
export interface TlsInput {
  sslMode?: SslMode | undefined;
  sslCaFile?: string | undefined;
  sslCertFile?: string | undefined;
  sslKeyFile?: string | undefined;
}

const URL_PARAM: Record<keyof TlsInput, string> = {
  sslMode: 'sslmode',
  sslCaFile: 'sslrootcert',
  sslCertFile: 'sslcert',
  sslKeyFile: 'sslkey',
};

/**
 * The one precedence rule: a URL's `sslmode`/`sslrootcert`/`sslcert`/`sslkey`
 * and the config fields (`sslMode`, `sslCaFile`, `sslCertFile`, `sslKeyFile`;
 * DB_SSL_MODE…) are the same settings given in two places. Either may give
 * each one; when both give one they must agree, otherwise CONFIG_INVALID —
 * no silent winner, since picking the weaker of two would be a downgrade.
 * Unset everywhere, the mode is `disable`.
 */
export function resolveTls(fromUrl: TlsInput, fromConfig: TlsInput): TlsSettings {
  const merged: TlsInput = {};
  for (const key of Object.keys(URL_PARAM) as Array<keyof TlsInput>) {
    const a = fromUrl[key];
    const b = fromConfig[key];
    if (a !== undefined && b !== undefined && a !== b) {
      throw new DbrsError(
        'CONFIG_INVALID',
        `The database URL's ${URL_PARAM[key]} and the configured database.${key} disagree.`,
        {
          details: { urlParameter: URL_PARAM[key], configKey: `database.${key}` },
          hint: `Give ${key} in one place only (the URL or the configuration), or make both the same.`,
        },
      );
    }
    (merged as Record<string, unknown>)[key] = a ?? b;
  }
  const tls: TlsSettings = { mode: merged.sslMode ?? 'disable' };
  if (merged.sslCaFile) tls.caFile = merged.sslCaFile;
  if (merged.sslCertFile) tls.certFile = merged.sslCertFile;
  if (merged.sslKeyFile) tls.keyFile = merged.sslKeyFile;
  checkTls(tls);
  return tls;
}

/** The rules that need no file system: a CA for verify modes, cert and key together. */
export function checkTls(tls: TlsSettings): void {
  if ((tls.mode === 'verify-ca' || tls.mode === 'verify-full') && !tls.caFile) {
    throw new DbrsError('CONFIG_INVALID', `SSL mode ${tls.mode} needs a CA certificate.`, {
      details: { sslMode: tls.mode },
      hint: 'Set database.sslCaFile (DB_SSL_CA_FILE, or sslrootcert in the URL) to the server CA in PEM form.',
    });
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new DbrsError('CONFIG_INVALID', 'A client certificate needs both a certificate file and a key file.', {
      details: { sslMode: tls.mode },
      hint: 'Set both database.sslCertFile (DB_SSL_CERT_FILE) and database.sslKeyFile (DB_SSL_KEY_FILE), or neither.',
    });
  }
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/;

function readPem(file: string, what: string, setting: string, mode: SslMode): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new DbrsError('CONFIG_INVALID', `Cannot read the ${what} file ${file} (${code}) for SSL mode ${mode}.`, {
      details: { file, sslMode: mode, errorCode: code },
      hint: `Set ${setting} to a readable PEM file.`,
    });
  }
  // Never quote the content: a key file pasted in the wrong setting is a secret.
  if (!PEM.test(text)) {
    throw new DbrsError('CONFIG_INVALID', `The ${what} file ${file} is not in PEM form (SSL mode ${mode}).`, {
      details: { file, sslMode: mode },
      hint: `${setting} must name a PEM file (text starting with "-----BEGIN"); convert DER with \`openssl x509 -inform der\`.`,
    });
  }
  return text;
}

/**
 * node-postgres `ssl` options with libpq's semantics for each mode (pg itself
 * reads `sslmode=require` in a connection string as verify-full, so it is
 * never handed one):
 * - `disable`: no TLS.
 * - `require`: TLS, no verification — unless a CA is given, which libpq then
 *   checks as in verify-ca ("if a root CA file exists…" in the libpq docs).
 * - `verify-ca`: the chain must lead to the CA; any host name.
 * - `verify-full`: the chain and the host name.
 * Files are read (and checked to be PEM) now, so a bad file fails at start.
 */
export function nodeTlsOptions(tls: TlsSettings, host: string): false | ConnectionOptions {
  checkTls(tls);
  if (tls.mode === 'disable') return false;
  const options: ConnectionOptions = {};
  if (tls.caFile) options.ca = readPem(tls.caFile, 'CA certificate', 'database.sslCaFile (DB_SSL_CA_FILE)', tls.mode);
  if (tls.certFile && tls.keyFile) {
    options.cert = readPem(tls.certFile, 'client certificate', 'database.sslCertFile (DB_SSL_CERT_FILE)', tls.mode);
    options.key = readPem(tls.keyFile, 'client key', 'database.sslKeyFile (DB_SSL_KEY_FILE)', tls.mode);
  }
  const verifyChain = tls.mode !== 'require' || options.ca !== undefined;
  options.rejectUnauthorized = verifyChain;
  if (tls.mode === 'verify-full') options.servername = host;
  // Chain only: Node checks the host name unless told not to.
  else if (verifyChain) options.checkServerIdentity = () => undefined;
  return options;
}

/** PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY for a child tool (libpq reads them itself). */
export function libpqTlsEnv(tls: TlsSettings): Record<string, string> {
  const env: Record<string, string> = { PGSSLMODE: tls.mode };
  if (tls.mode !== 'disable') {
    if (tls.caFile) env['PGSSLROOTCERT'] = tls.caFile;
    if (tls.certFile) env['PGSSLCERT'] = tls.certFile;
    if (tls.keyFile) env['PGSSLKEY'] = tls.keyFile;
  }
  return env;
}

/** TLS settings written in a URL's query (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`). */
export function tlsFromUrlParams(params: Readonly<Record<string, string>>, sslMode: SslMode | undefined): TlsInput {
  return {
    ...(sslMode !== undefined ? { sslMode } : {}),
    ...(params['sslrootcert'] ? { sslCaFile: params['sslrootcert'] } : {}),
    ...(params['sslcert'] ? { sslCertFile: params['sslcert'] } : {}),
    ...(params['sslkey'] ? { sslKeyFile: params['sslkey'] } : {}),
  };
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** True for a TLS handshake or verification failure (from pg or a socket). */
export function isTlsFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (e?.code && (TLS_CODES.has(e.code) || e.code.startsWith('ERR_SSL_') || e.code.startsWith('ERR_TLS_'))) return true;
  return /does not support SSL|SSL connection|certificate|self[- ]signed|altnames|TLS/i.test(e?.message ?? '');
}

/** What to check for each kind of TLS failure, named by the mode in use. */
export function tlsHint(err: unknown, mode: SslMode | undefined): string {
  const e = err as { code?: string; message?: string } | undefined;
  const text = `${e?.code ?? ''} ${e?.message ?? ''}`;
  if (/does not support SSL/i.test(text))
    return `The server has TLS off (ssl = off) but sslmode is ${mode}; turn ssl on in postgresql.conf. The connection is never retried in plain text.`;
  if (/ALTNAME|altnames|host ?name/i.test(text))
    return `sslmode ${mode} checks the host name: connect with a name listed in the server certificate, or use verify-ca.`;
  return `sslmode ${mode}: the server certificate was not signed by the configured CA (database.sslCaFile / DB_SSL_CA_FILE); point it at the CA that signed the server certificate.`;
}
