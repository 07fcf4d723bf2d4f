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
  // Tools: the CLI has no binDir/toolPaths; it finds them on PATH (and PostgreSQL's Debian bin directory).
  [/, or set binDir \/ toolPaths\.[a-z_]+\./g, ', or put their directory on PATH.'],
  [/ or point binDir at it\./g, ' or put its directory on PATH.'],
  [/ or set toolPaths\.postgres \/ binDir\./g, ' or put its bin directory on PATH.'],
  [/, or set testOptions\.binDir\./g, ', or put their directory on PATH.'],
  [
    /Use targetDatabase for a database on this server \(created when missing\), targetUrl for another server, targetDirectory for a physical backup\./g,
    'Use --target-database for a database on this server (created when missing), --target-url for another server, --target-directory for a physical backup.',
  ],
  [/Set migrationsDir to an existing directory/g, 'Pass --dir (or set MIGRATIONS_DIR) to an existing directory'],
  // Migrations: the command and the configuration key instead of the manager's methods and options.
  [/or set allowOutOfOrder: true/g, 'or set migrations.allowOutOfOrder: true in the configuration file'],
  [/a name from status\(\)\.pending/g, 'a pending name from `dbrs migrate status`'],
  [/Use status\(\) to list applied migrations/g, 'Use `dbrs migrate status` to list applied migrations'],
  [/Check the name with status\(\)/g, 'Check the name with `dbrs migrate status`'],
  [/Pass \{ migrationsDir: '\.\/migrations' \}\./g, 'Pass --dir ./migrations or set MIGRATIONS_DIR.'],
  [
    /Set PGBOUNCER_ENABLED=true or pass enabled: true\./g,
    'Set PGBOUNCER_ENABLED=true (pgbouncer.enabled in the configuration file).',
  ],
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
