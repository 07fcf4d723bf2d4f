import { DbrsError } from '../errors.js';
import { quoteQualified } from '../util/sql.js';
import type { Queryable } from './database.js';

/** The schema the suite keeps its own tables in unless told otherwise (`database.stateSchema`). */
export const DEFAULT_STATE_SCHEMA = 'dbrs';

/** Where an older release kept the suite's tables when no schema was configured. */
export const PREVIOUS_STATE_SCHEMA = 'public';

export interface LocateStateTableOptions {
  /** The schema the table belongs in. */
  schema: string;
  /** The table and any companions that move with it (e.g. a log table and its snapshot table). */
  tables: readonly string[];
  /**
   * A schema an older release used by default. When the first table exists there and not in `schema`,
   * the old location is kept, so history is never split or replayed. Omit when the schema was configured
   * explicitly: then only that schema counts.
   */
  previousSchema?: string | undefined;
}

export interface StateTableLocation {
  /** The schema to read and write. */
  schema: string;
  /** Whether the first table exists there now. */
  exists: boolean;
  /** Set when the table was found only at the previous location: the statements that move it. */
  moveSql?: string;
}

/**
 * Finds a suite table by reading the catalog only, so a status read can call it and create nothing.
 * Why keep the previous location rather than start afresh: for the migrations log, a fresh table would
 * mean every migration looks pending and runs again; for capacity history, forecasts would restart.
 */
export async function locateStateTable(db: Queryable, options: LocateStateTableOptions): Promise<StateTableLocation> {
  const [first] = options.tables;
  if (first === undefined) throw new TypeError('locateStateTable needs at least one table name');
  const previous = options.previousSchema;
  const candidates =
    previous !== undefined && previous !== options.schema ? [options.schema, previous] : [options.schema];
  const res = await db.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = $1 AND n.nspname = ANY($2::text[]) AND c.relkind IN ('r', 'p')`,
    [first, candidates],
  );
  const found = new Set(res.rows.map((r) => r.schema));
  if (found.has(options.schema) || previous === undefined || !found.has(previous)) {
    return { schema: options.schema, exists: found.has(options.schema) };
  }
  const moveSql = [
    `CREATE SCHEMA IF NOT EXISTS ${quoteQualified(undefined, options.schema)};`,
    ...options.tables.map(
      (t) => `ALTER TABLE ${quoteQualified(previous, t)} SET SCHEMA ${quoteQualified(undefined, options.schema)};`,
    ),
  ].join(' ');
  return { schema: previous, exists: true, moveSql };
}

/** The SQLSTATE of a pg error, whether raw or wrapped as a DbrsError's cause. */
function sqlState(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.cause?.code ?? e?.code;
}

/** Whether an error is PostgreSQL's "relation does not exist" (42P01): a state table not created yet. */
export function isMissingTable(err: unknown): boolean {
  return sqlState(err) === '42P01';
}

/** A read of a state table that may not exist yet: before the first write, it has no rows. */
export function rowsOrNoneIfMissing<R>(read: Promise<{ rows: R[] }>): Promise<{ rows: R[] }> {
  return read.catch((err: unknown) => {
    if (isMissingTable(err)) return { rows: [] };
    throw err;
  });
}

/**
 * Creates the schema unless it exists. The existence check comes first because PostgreSQL checks the
 * CREATE privilege on the database before `IF NOT EXISTS`: a role that may write into a schema an owner
 * made for it (`CREATE SCHEMA dbrs AUTHORIZATION app`) could not otherwise get past this call.
 */
export async function ensureSchema(db: Queryable, schema: string): Promise<void> {
  const found = await db.query<{ ok: boolean }>('SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS ok', [
    schema,
  ]);
  if (found.rows[0]?.ok) return;
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteQualified(undefined, schema)}`);
  } catch (err) {
    if (sqlState(err) !== '42501' && !(err instanceof DbrsError && err.code === 'PERMISSION_DENIED')) throw err;
    throw new DbrsError(
      'PERMISSION_DENIED',
      `The role may not create the schema ${schema} for the suite's own tables.`,
      {
        cause: err,
        hint: `Have the database owner run CREATE SCHEMA ${quoteQualified(undefined, schema)} AUTHORIZATION <this role>, or set database.stateSchema (DB_STATE_SCHEMA) to a schema this role may create tables in.`,
      },
    );
  }
}
