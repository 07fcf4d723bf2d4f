/**
 * Secret scrubbing shared by logs, errors, audit entries, metrics and pages.
 * Keys are matched by name at any depth; strings are scrubbed for the secret
 * parts of connection URLs, libpq conninfo, Azure connection strings and SAS
 * tokens, since those are how secrets usually leak (inside a message).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /^(?:.*[-_.]?)?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?keys?|apikeys?|private[-_]?key|access[-_]?key|secret[-_]?key|encryption[-_]?key|account[-_]?key|authorization|cookie|credentials?|connection[-_]?string|sas)$/i;

const STRING_PATTERNS: Array<[RegExp, string]> = [
  // scheme://user:password@host → scheme://user:[REDACTED]@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/\s]*)@/gi, `$1:${REDACTED}@`],
  // libpq conninfo and query parameters: password=..., sslpassword=...
  [/\b(password|sslpassword|passwd|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&;]+)/gi, `$1=${REDACTED}`],
  // Azure: AccountKey=...; SharedAccessSignature=...; SAS query sig=...
  [/\b(AccountKey|SharedAccessSignature|SharedAccessKey)=([^;\s]+)/gi, `$1=${REDACTED}`],
  [/([?&]sig=)([^&\s]+)/gi, `$1${REDACTED}`],
  // age secret keys and bearer tokens
  [/AGE-SECRET-KEY-1[0-9A-Z]+/g, REDACTED],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
];

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of STRING_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Redacts a connection URL's password; returns the input unchanged when it is not a URL. */
export function redactUrl(url: string): string {
  return redactString(url);
}

/**
 * Deep copy of `value` with secret-named keys replaced and secret parts of
 * strings scrubbed. Cycles are cut; Errors become plain objects with
 * message, code and stack scrubbed.
 */
export function redact<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]' as T;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen)) as T;
  if (value instanceof Date || Buffer.isBuffer(value) || value instanceof URL) {
    return (value instanceof URL ? redactString(value.href) : value) as T;
  }
  const source: Record<string, unknown> =
    value instanceof Error ? errorToObject(value) : (value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(source)) {
    // Flags such as `metricsRequireApiKey: false` carry no secret; strings and objects under a secret name do.
    const secretValue = (typeof v === 'string' && v !== '') || (typeof v === 'object' && v !== null);
    out[key] = isSecretKey(key) && secretValue ? REDACTED : redact(v, seen);
  }
  return out as T;
}

function errorToObject(err: Error): Record<string, unknown> {
  const obj: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) obj[k] = v;
  if (err.cause !== undefined) obj['cause'] = err.cause;
  return obj;
}
