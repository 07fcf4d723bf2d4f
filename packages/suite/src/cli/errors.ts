import { isDbrsError, redactString } from '@voicehive/db-core';

import { EXIT, formatUsageError, UsageError } from './usage.js';

export { EXIT, UsageError };

/** One line: what went wrong and (from the DbrsError hint) how to fix it; never a stack or a secret. */
export function formatError(err: unknown): string {
  if (err instanceof UsageError) return formatUsageError(err);
  if (isDbrsError(err)) return `dbrs: error [${err.code}]: ${redactString(err.message).replace(/\s*\n\s*/g, ' ')}`;
  const message = err instanceof Error ? err.message : String(err);
  return `dbrs: error: ${redactString(message).replace(/\s*\n\s*/g, ' ')}`;
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  // Every configuration error (CONFIG_INVALID, CONFIG_PARSE, CONFIG_FILE_NOT_FOUND, CONFIG_VARIABLE_UNSET, …) is
  // the caller's to fix, as is a bad argument or URL: exit 2, as the README documents.
  if (
    isDbrsError(err) &&
    (err.code.startsWith('CONFIG_') || err.code === 'INVALID_ARGUMENT' || err.code === 'DATABASE_URL_INVALID')
  )
    return EXIT.USAGE;
  return EXIT.FAILURE;
}
