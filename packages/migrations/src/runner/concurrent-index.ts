import type pg from 'pg';

const CONCURRENT_BUILD = /\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX|REINDEX\b[^;]*?)\s+CONCURRENTLY\b/i;
const NAMED_CIC =
  /\bINDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)\s+ON\b/i;

export function isConcurrentStatement(sql: string): boolean {
  return /\bCONCURRENTLY\b/i.test(sql);
}

export function buildsIndexConcurrently(sql: string): boolean {
  return CONCURRENT_BUILD.test(sql);
}

/** Qualified names of INVALID indexes in the database. */
export async function invalidIndexes(client: pg.ClientBase): Promise<Set<string>> {
  const res = await client.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid`,
  );
  return new Set(res.rows.map((r) => r.name));
}

/**
 * A failed or interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index
 * that still slows writes and makes `IF NOT EXISTS` skip the rebuild. Before
 * building a named index, drop an invalid leftover of the same name.
 */
export async function dropInvalidLeftover(client: pg.ClientBase, sql: string): Promise<string | undefined> {
  const m = NAMED_CIC.exec(sql);
  if (!m) return undefined;
  const res = await client.query<{ name: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1) AND NOT i.indisvalid`,
    [m[1]],
  );
  const name = res.rows[0]?.name;
  if (name) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  return name;
}

/** Drops the INVALID indexes that appeared since `before`; returns their names. */
export async function dropNewInvalidIndexes(client: pg.ClientBase, before: Set<string>): Promise<string[]> {
  const after = await invalidIndexes(client);
  const dropped: string[] = [];
  for (const name of after) {
    if (before.has(name)) continue;
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    dropped.push(name);
  }
  return dropped;
}
