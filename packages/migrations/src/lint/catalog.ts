import type { Database } from '@voicehive/db-core';
import { notNullCheckColumn } from './ast.js';
import { loadParser, parseSqlSync } from './parse.js';
import type { LintCatalog } from './types.js';

/** Reads what the linter needs from the live database: validated NOT NULL checks and column types. */
export async function loadLintCatalog(db: Database, options: { signal?: AbortSignal } = {}): Promise<LintCatalog> {
  await loadParser();
  const checks = await db.query<{ tbl: string; def: string }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'c' AND k.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
    [],
    options,
  );
  const notNullChecks: string[] = [];
  for (const r of checks.rows) {
    // pg_get_constraintdef gives "CHECK ((col IS NOT NULL))"; reuse the real parser rather than a regex.
    try {
      const body = r.def.replace(/^CHECK\s*/i, '');
      const parsed = parseSqlSync(`SELECT ${body}`);
      const target = parsed.statements[0]?.node.targetList?.[0]?.ResTarget?.val;
      const col = notNullCheckColumn(target);
      if (col) notNullChecks.push(`${r.tbl}.${col}`);
    } catch {
      // An expression we cannot parse proves nothing about NOT NULL.
    }
  }
  const cols = await db.query<{ key: string; type: string }>(
    `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS key, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
    [],
    options,
  );
  const columnTypes: Record<string, string> = {};
  for (const r of cols.rows) columnTypes[r.key] = r.type;
  return { notNullChecks, columnTypes };
}
