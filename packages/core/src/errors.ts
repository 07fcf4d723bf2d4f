/**
 * Every failure the suite raises is a DbrsError with a stable `code`. Check
 * errors by `code` (or `isDbrsError`) rather than `instanceof`: two copies of
 * this package in one process would make `instanceof` lie.
 */
export type DbrsErrorCode =
  // configuration
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'CONFIG_UNKNOWN_ENVIRONMENT'
  | 'CONFIG_VARIABLE_UNSET'
  | 'CONFIG_FILE_NOT_FOUND'
  // database
  | 'DATABASE_URL_INVALID'
  | 'CONNECTION_FAILED'
  | 'DATABASE_TLS'
  | 'AUTHENTICATION_FAILED'
  | 'QUERY_FAILED'
  | 'PERMISSION_DENIED'
  | 'EXTENSION_MISSING'
  // control flow
  | 'ABORTED'
  | 'TIMEOUT'
  | 'LOCK_NOT_ACQUIRED'
  | 'CLOSED'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNSUPPORTED'
  // tools and dependencies
  | 'DEPENDENCY_MISSING'
  | 'TOOL_MISSING'
  | 'TOOL_VERSION_MISMATCH'
  | 'TOOL_FAILED'
  // backup
  | 'STORAGE_FAILED'
  | 'STORAGE_AUTH_FAILED'
  | 'INTEGRITY_FAILED'
  | 'DECRYPTION_FAILED'
  | 'BACKUP_FAILED'
  | 'RESTORE_FAILED'
  | 'VERIFY_FAILED'
  | 'TARGET_NOT_EMPTY'
  // migrations
  | 'MIGRATION_FAILED'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'MIGRATION_ORDER'
  | 'MIGRATION_IRREVERSIBLE'
  | 'MIGRATION_SYNTAX'
  | 'MIGRATION_TEST_FAILED'
  | 'LINT_FAILED'
  // pgbouncer
  | 'PGBOUNCER_FAILED';

export interface DbrsErrorOptions {
  cause?: unknown;
  /** Structured, secret-free context for logs and JSON output. */
  details?: Record<string, unknown>;
  /** What the user should do about it; appended to the message. */
  hint?: string;
}

const BRAND = Symbol.for('@voicehive/db-core/DbrsError');

export class DbrsError extends Error {
  override readonly name = 'DbrsError';
  readonly code: DbrsErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly hint: string | undefined;
  readonly [BRAND] = true;

  constructor(code: DbrsErrorCode, message: string, options: DbrsErrorOptions = {}) {
    super(options.hint ? `${message} ${options.hint}` : message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

export function isDbrsError(value: unknown, code?: DbrsErrorCode): value is DbrsError {
  if (typeof value !== 'object' || value === null) return false;
  const branded = (value as Record<symbol, unknown>)[BRAND] === true || (value as Error).name === 'DbrsError';
  return branded && (code === undefined || (value as DbrsError).code === code);
}

/** The `signal.reason` when it is an error, else a DbrsError('ABORTED'). */
export function abortError(signal: AbortSignal | undefined, what = 'operation'): DbrsError {
  const reason = signal?.reason;
  if (isDbrsError(reason)) return reason;
  return new DbrsError('ABORTED', `The ${what} was aborted.`, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}
