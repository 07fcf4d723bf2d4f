// Kept free of imports on purpose: `dbrs --help` and usage errors load only
// this file, main.ts and the command table, never a feature package.

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, UNHEALTHY: 3 } as const;

/** Raised for bad command lines; exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The one line a usage error prints. */
export function formatUsageError(err: UsageError): string {
  return `dbrs: ${err.message} (see dbrs --help)`;
}
