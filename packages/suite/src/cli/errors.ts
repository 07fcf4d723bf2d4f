import { errorMessage, isDbrsError, redactString } from '@voicehive/db-core';

import { EXIT, formatUsageError, UsageError } from './usage.js';

export { EXIT, UsageError };

/**
 * Library hints name options and functions (`clean: true`, `listBackups()`); a person at the
 * command line needs the flag or the command instead. Each pair is one phrase the packages'
 * hints use, and what `dbrs` calls the same thing.
 */
const CLI_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/pass clean: true/g, 'pass --clean'],
  [/\(targetDatabase creates it\)/g, '(--target-database creates it)'],
  [/take one from listBackups\(\)/g, 'take one from `dbrs backup list`'],
  [/(use|Use) an id from listBackups\(\)/g, '$1 an id from `dbrs backup list`'],
  [/Use listBackups\(\) to see/g, 'Use `dbrs backup list` to see'],
  [/use authType trust/g, 'use --auth-type trust'],
];

/** The library's words for options replaced by the CLI's flags and commands. */
export function inCliWords(message: string): string {
  return CLI_WORDS.reduce((m, [from, to]) => m.replace(from, to), message);
}

/** One line: what went wrong and (from the DbrsError hint) how to fix it; never a stack or a secret. */
export function formatError(err: unknown): string {
  if (err instanceof UsageError) return formatUsageError(err);
  const oneLine = (m: string) => inCliWords(redactString(m).replace(/\s*\n\s*/g, ' '));
  if (isDbrsError(err)) return `dbrs: error [${err.code}]: ${oneLine(err.message)}`;
  return `dbrs: error: ${oneLine(errorMessage(err))}`;
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
