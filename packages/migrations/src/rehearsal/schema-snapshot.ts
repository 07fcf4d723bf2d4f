import type { Queryable } from '@voicehive/db-core';

/**
 * A normalised description of a database schema from pg_catalog: one entry
 * per object, keyed `kind schema.name[.sub]`, valued by its definition as
 * PostgreSQL prints it. Column order, OIDs and relfilenodes are left out on
 * purpose: a down that re-adds a column at the end is still a correct down.
 */
export interface SchemaSnapshot {
  version: 1;
  objects: Record<string, string>;
}

export interface SchemaDifference {
  object: string;
  kind: 'missing' | 'unexpected' | 'changed';
  expected?: string;
  actual?: string;
}

const NOT_SYSTEM = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'`;
const NOT_EXTENSION = (oid: string, catalog: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

export async function takeSchemaSnapshot(
  db: Queryable,
  options: { excludeTables?: string[] } = {},
): Promise<SchemaSnapshot> {
  const exclude = options.excludeTables ?? [];
  const objects: Record<string, string> = {};
  const rels = await db.query<{ key: string; val: string }>(
    `SELECT 'relation ' || n.nspname || '.' || c.relname AS key,
            'kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text ||
            CASE WHEN c.relkind IN ('v', 'm') THEN ' def=' || regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g') ELSE '' END AS val
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND ${NOT_SYSTEM} AND ${NOT_EXTENSION('c.oid', 'pg_class')}
        AND NOT (n.nspname || '.' || c.relname = ANY($1::text[]))`,
    [exclude],
  );
  for (const r of rels.rows) objects[r.key] = r.val;
  const cols = await db.query<{ key: string; val: string }>(
    `SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname AS key,
            format_type(a.atttypid, a.atttypmod) ||
            CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
            COALESCE(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '') ||
            CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END ||
            CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END ||
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> 100 THEN ' collate ' || a.attcollation::regcollation::text ELSE '' END AS val
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${NOT_SYSTEM}
        AND ${NOT_EXTENSION('c.oid', 'pg_class')} AND NOT (n.nspname || '.' || c.relname = ANY($1::text[]))`,
    [exclude],
  );
  for (const r of cols.rows) objects[r.key] = r.val;
  const cons = await db.query<{ key: string; val: string }>(
    `SELECT 'constraint ' || n.nspname || '.' || c.relname || '.' || k.conname AS key,
            pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END AS val
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${NOT_SYSTEM} AND NOT (n.nspname || '.' || c.relname = ANY($1::text[]))`,
    [exclude],
  );
  for (const r of cons.rows) objects[r.key] = r.val;
  const idx = await db.query<{ key: string; val: string }>(
    `SELECT 'index ' || n.nspname || '.' || ic.relname AS key,
            pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END AS val
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = ic.relnamespace
      WHERE ${NOT_SYSTEM} AND ${NOT_EXTENSION('c.oid', 'pg_class')} AND NOT (n.nspname || '.' || c.relname = ANY($1::text[]))`,
    [exclude],
  );
  for (const r of idx.rows) objects[r.key] = r.val;
  const types = await db.query<{ key: string; val: string }>(
    `SELECT 'enum ' || n.nspname || '.' || t.typname AS key, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS val
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE ${NOT_SYSTEM} GROUP BY 1`,
  );
  for (const r of types.rows) objects[r.key] = r.val;
  const trg = await db.query<{ key: string; val: string }>(
    `SELECT 'trigger ' || n.nspname || '.' || c.relname || '.' || t.tgname AS key, pg_get_triggerdef(t.oid) AS val
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND ${NOT_SYSTEM}`,
  );
  for (const r of trg.rows) objects[r.key] = r.val;
  const fns = await db.query<{ key: string; val: string }>(
    `SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
            pg_get_function_result(p.oid) || ' ' || md5(coalesce(p.prosrc, '')) AS val
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE ${NOT_SYSTEM} AND ${NOT_EXTENSION('p.oid', 'pg_proc')}`,
  );
  for (const r of fns.rows) objects[r.key] = r.val;
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(objects).sort()) sorted[k] = objects[k]!;
  return { version: 1, objects: sorted };
}

/** What differs in `actual` compared with `expected`; empty when they match. */
export function diffSchemaSnapshots(expected: SchemaSnapshot, actual: SchemaSnapshot): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  for (const [k, v] of Object.entries(expected.objects)) {
    const a = actual.objects[k];
    if (a === undefined) out.push({ object: k, kind: 'missing', expected: v });
    else if (a !== v) out.push({ object: k, kind: 'changed', expected: v, actual: a });
  }
  for (const [k, v] of Object.entries(actual.objects))
    if (!(k in expected.objects)) out.push({ object: k, kind: 'unexpected', actual: v });
  return out;
}

export function describeDifferences(diffs: SchemaDifference[], limit = 10): string {
  const parts = diffs
    .slice(0, limit)
    .map((d) =>
      d.kind === 'missing'
        ? `missing ${d.object}`
        : d.kind === 'unexpected'
          ? `unexpected ${d.object}`
          : `${d.object} is "${d.actual}", expected "${d.expected}"`,
    );
  return parts.join('; ') + (diffs.length > limit ? `; and ${diffs.length - limit} more` : '');
}
