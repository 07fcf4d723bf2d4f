import { isDbrsError } from '@voicehive/db-core';
import { parseSqlMigration } from '../sources/sql-file.js';
import type { LintFinding } from './types.js';

export interface LintInput {
  /** The up section (earlier lines blanked, so line numbers are the text's). */
  sql: string;
  transactional: boolean;
  problem?: LintFinding;
}

/**
 * Reads text given to lintSql/lintMigrations with the directives of a .sql
 * migration file (`-- dbrs:no-transaction` on line 1, `-- migrate:up` /
 * `-- migrate:down`), so the API lints what the runner would run. An explicit
 * `transactional` wins over the directive. A malformed file is a finding
 * (`invalid-directive`) and the whole text is linted as given.
 */
export function readLintInput(text: string, explicitTransactional: boolean | undefined): LintInput {
  try {
    const parsed = parseSqlMigration(text, 'migration');
    return { sql: parsed.upSql, transactional: explicitTransactional ?? parsed.transactional };
  } catch (err) {
    if (!isDbrsError(err)) throw err;
    return {
      sql: text,
      transactional: explicitTransactional ?? true,
      problem: {
        rule: 'invalid-directive',
        severity: 'error',
        message: err.message,
        line: 1,
        statement: '',
      },
    };
  }
}
