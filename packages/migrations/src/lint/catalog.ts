import type { Database } from '@voicehive/db-core';
import { notNullCheckColumn } from './ast.js';
import { loadParser, parseSqlSync } from './parse.js';
import type { LintCatalog } from './types.js';

/**
 * Reads what the linter needs from the live database: validated NOT NULL
 * checks, column types, index key columns (foreign-key-without-index on
 * existing tables), columns under CHECK constraints (alter-type-with-check-
 * constraint), constraint kinds (dropping-foreign-key), and each index's key
 * columns with the NOT NULL columns (ADD PRIMARY KEY USING INDEX).
 */
// Long: five catalog queries, each followed by the loop that maps it into the one catalog object.
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
  const idx = await db.query<{ tbl: string; cols: string[] }>(
    `SELECT n.nspname || '.' || t.relname AS tbl,
            ARRAY(SELECT coalesce(a.attname::text, '')
                    FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                   ORDER BY k.ord) AS cols
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
    [],
    options,
  );
  const indexes: Record<string, string[][]> = {};
  for (const r of idx.rows) indexes[r.tbl] = [...(indexes[r.tbl] ?? []), r.cols];
  const cons = await db.query<{ tbl: string; name: string; contype: string; checked: string[] | null }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, k.conname::text AS name, k.contype::text AS contype,
            CASE WHEN k.contype = 'c' THEN ARRAY(SELECT a.attname::text FROM pg_attribute a
                                                  WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)) END AS checked
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
    [],
    options,
  );
  const constraints: Record<string, string> = {};
  const checkedColumns: string[] = [];
  for (const r of cons.rows) {
    constraints[`${r.tbl}.${r.name}`] = r.contype;
    for (const col of r.checked ?? []) checkedColumns.push(`${r.tbl}.${col}`);
  }
  const keyed = await db.query<{ idx: string; cols: string[] }>(
    `SELECT n.nspname || '.' || ic.relname AS idx,
            ARRAY(SELECT coalesce(a.attname::text, '')
                    FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                   ORDER BY k.ord) AS cols
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
    [],
    options,
  );
  const indexColumns: Record<string, string[]> = {};
  for (const r of keyed.rows) indexColumns[r.idx] = r.cols;
  const notNull = await db.query<{ key: string }>(
    `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS key
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull AND c.relkind IN ('r', 'p')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
    [],
    options,
  );
  const notNullColumns = notNull.rows.map((r) => r.key);
  return { notNullChecks, columnTypes, indexes, checkedColumns, constraints, indexColumns, notNullColumns };
}
