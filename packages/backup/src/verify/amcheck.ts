import { type Database, DbrsError } from '@voicehive/db-core';

/**
 * `bt_index_check` (with heap check) on every valid btree index of `db`
 * when the amcheck extension can be created; 'unavailable' otherwise.
 * Only ever run on a restored copy: it creates the extension there.
 */
export async function runAmcheck(db: Database, signal?: AbortSignal): Promise<'passed' | 'unavailable'> {
  const available = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'", [], { signal });
  if (available.rowCount === 0) return 'unavailable';
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS amcheck', [], { signal });
  } catch {
    return 'unavailable';
  }
  const indexes = await db.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am am ON am.oid = c.relam
      WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND c.relpersistence <> 't'`,
    [],
    { signal },
  );
  for (const idx of indexes.rows) {
    try {
      await db.query('SELECT bt_index_check($1::oid, true)', [idx.oid], { signal });
    } catch (cause) {
      throw new DbrsError('VERIFY_FAILED', `amcheck found a corrupt index ${idx.name} in the restored copy.`, {
        cause,
        details: { index: idx.name },
      });
    }
  }
  return 'passed';
}
