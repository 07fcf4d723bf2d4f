import { DbrsError } from '@voicehive/db-core';
import { readLintInput } from './directives.js';
import { createLintState, finishLint, lintText, resolveLintOptions } from './lint-sql.js';
import { loadParser } from './parse.js';
import type { LintFinding, LintOptions, MigrationSqlInput } from './types.js';

/**
 * Lints pending migrations as one sequence, in order: a table created by an
 * earlier migration of the run counts as new (it is empty when the later one
 * runs), and a CHECK (col IS NOT NULL) validated earlier makes a later SET NOT
 * NULL safe. Findings carry the migration name; `line` is within that file.
 */
export async function lintMigrations(
  migrations: MigrationSqlInput[],
  options: LintOptions = {},
): Promise<LintFinding[]> {
  if (!Array.isArray(migrations))
    throw new DbrsError('INVALID_ARGUMENT', 'lintMigrations expects an array of { name, sql }.');
  const opts = resolveLintOptions(options);
  await loadParser();
  const state = createLintState(options);
  const out: LintFinding[] = [];
  for (const m of migrations) {
    if (!m || typeof m.name !== 'string' || typeof m.sql !== 'string') {
      throw new DbrsError('INVALID_ARGUMENT', 'Each migration to lint needs a string name and a string sql.');
    }
    const input = readLintInput(m.sql, m.transactional ?? options.transactional);
    if (input.problem) out.push({ ...input.problem, migration: m.name });
    for (const f of lintText(input.sql, input.transactional, state, opts, m.name)) {
      out.push({ ...f, migration: m.name });
    }
  }
  out.push(...finishLint(state, opts));
  return out;
}
