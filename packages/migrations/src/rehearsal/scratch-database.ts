import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type Database, DbrsError, libpqEnv, quoteIdent } from '@voicehive/db-core';
import { reaper } from '@voicehive/db-core/internal';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  config: pg.ClientConfig;
  /** Which kind of copy it is: a migration test's durations mean something only with data. */
  copy: ScratchCopy;
  drop(): Promise<void>;
}

/** What went into the scratch copy. */
export interface ScratchCopy {
  kind: 'schema' | 'full' | 'sample';
  /** Rows per table asked for (sample). */
  sampleRows?: number;
  /** Size of the source's user tables with indexes and TOAST, when `data: 'auto'` had to decide. */
  sourceBytes?: number;
  /** Per table (full or sample): estimated rows in the source (pg_class.reltuples) and rows copied (sample). */
  tables: Array<{ table: string; sourceRows: number | null; copiedRows?: number }>;
}

/** `data: 'auto'`: a full copy up to this size of user tables (with indexes), else a sample. */
export const AUTO_FULL_COPY_MAX_BYTES = 256 * 1024 * 1024;
/** `data: 'auto'` above AUTO_FULL_COPY_MAX_BYTES: rows per table. */
export const AUTO_SAMPLE_ROWS = 100_000;

export type ScratchData = 'schema' | 'full' | 'auto' | { sampleRows: number };

export interface ScratchOptions {
  /**
   * 'schema' (default): structure only; 'full': structure and data;
   * `{ sampleRows: n }`: structure plus the first n rows of every table;
   * 'auto': full when the user tables (with indexes) take at most
   * AUTO_FULL_COPY_MAX_BYTES, else a sample of AUTO_SAMPLE_ROWS rows per table.
   */
  data?: ScratchData;
  /** `data: 'auto'`: largest size of the user tables (with indexes) copied in full. Default AUTO_FULL_COPY_MAX_BYTES. */
  fullCopyMaxBytes?: number;
  /** Directory of pg_dump/psql. Default: PATH. */
  binDir?: string;
  signal?: AbortSignal;
}

/**
 * A scratch copy of the target made with `pg_dump | psql` into a new database.
 * Not `CREATE DATABASE ... TEMPLATE target`: that needs the target to have no
 * other sessions, which a live application database never satisfies.
 */
export async function createScratchDatabase(db: Database, options: ScratchOptions = {}): Promise<ScratchDatabase> {
  const source = db.clientConfig();
  const { data, sourceBytes } = await resolveData(db, options.data ?? 'schema', options.fullCopyMaxBytes);
  const name = `dbrs_scratch_${process.pid}_${randomBytes(4).toString('hex')}`;
  await db.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  };
  const copy: ScratchCopy = {
    kind: data === 'schema' ? 'schema' : data === 'full' ? 'full' : 'sample',
    ...(typeof data === 'object' ? { sampleRows: data.sampleRows } : {}),
    ...(sourceBytes !== undefined ? { sourceBytes } : {}),
    tables: [],
  };
  try {
    await copySchema(db, db.info.database, name, { ...options, data });
    if (data !== 'schema') copy.tables = await userTables(db);
    if (typeof data === 'object') {
      const copied = await copySample(db, { ...source, database: name }, data.sampleRows);
      for (const t of copy.tables) t.copiedRows = copied.get(t.table) ?? 0;
    }
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  return { name, config: { ...source, database: name }, copy, drop };
}

/** 'auto' decided by the size of the user tables; anything else as given (a sample size checked first). */
async function resolveData(
  db: Database,
  data: ScratchData,
  fullCopyMaxBytes = AUTO_FULL_COPY_MAX_BYTES,
): Promise<{ data: Exclude<ScratchData, 'auto'>; sourceBytes?: number }> {
  if (typeof data === 'object' && (!Number.isInteger(data.sampleRows) || data.sampleRows < 1)) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `testOptions.data.sampleRows must be a positive integer, got ${String(data.sampleRows)}.`,
      { hint: 'Give a whole number of rows per table, e.g. { sampleRows: 10000 } (CLI: --sample-rows 10000).' },
    );
  }
  if (data !== 'auto') return { data };
  const r = await db.query<{ bytes: string }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'`,
  );
  const sourceBytes = Number(r.rows[0]?.bytes ?? 0);
  return { data: sourceBytes <= fullCopyMaxBytes ? 'full' : { sampleRows: AUTO_SAMPLE_ROWS }, sourceBytes };
}

/** pg_dump | psql with core's libpq environment: credentials never in argv, the same TLS as the pool. */
function copySchema(db: Database, from: string, to: string, options: ScratchOptions): Promise<void> {
  const toolEnv = (database: string) => libpqEnv(db, { database, applicationName: 'voicehive-dbrs-migrate' });
  const bin = (tool: string) => (options.binDir ? `${options.binDir}/${tool}` : tool);
  const dumpArgs = [
    '--no-owner',
    '--no-privileges',
    '--no-publications',
    '--no-subscriptions',
    ...(options.data === 'full' ? [] : ['--schema-only']),
  ];
  return new Promise((resolve, reject) => {
    const dump = spawn(bin('pg_dump'), dumpArgs, {
      env: toolEnv(from),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const restore = spawn(bin('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null'], {
      env: toolEnv(to),
      stdio: ['pipe', 'ignore', 'pipe'],
      signal: options.signal,
    });
    const stopDump = reaper(dump);
    let dumpErr = '';
    let restoreErr = '';
    dump.stderr.on('data', (d) => (dumpErr += d));
    restore.stderr.on('data', (d) => (restoreErr += d));
    dump.stdout.pipe(restore.stdin);
    restore.stdin.on('error', () => {});
    let pending = 2;
    let failed: Error | undefined;
    const finish = (err?: Error) => {
      failed ??= err;
      if (--pending > 0) return;
      if (failed) reject(failed);
      else resolve();
    };
    const onSpawnError = (tool: string) => (err: Error) =>
      finish(
        new DbrsError(
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'TOOL_MISSING' : 'TOOL_FAILED',
          `${tool} could not be started: ${err.message}`,
          {
            cause: err,
            hint: 'Install the PostgreSQL client tools (same major as the server or newer), or set testOptions.binDir.',
          },
        ),
      );
    dump.on('error', onSpawnError('pg_dump'));
    restore.on('error', onSpawnError('psql'));
    dump.on('close', (code) =>
      finish(
        code === 0
          ? undefined
          : new DbrsError('TOOL_FAILED', `pg_dump exited with ${code}: ${dumpErr.trim().slice(0, 500)}`),
      ),
    );
    restore.on('close', (code) => {
      if (code === 0) return finish();
      finish(
        new DbrsError(
          'TOOL_FAILED',
          `psql restore into the scratch database exited with ${code}: ${restoreErr.trim().slice(0, 500)}`,
        ),
      );
      // psql stopped at the first error (ON_ERROR_STOP): nobody reads pg_dump's output any more, so pg_dump would
      // block on a full pipe for ever. The reaper kills it and destroys that unread pipe (see reaper).
      void stopDump();
    });
  });
}

/**
 * Copies up to `rows` rows of every user table as JSON, with triggers and
 * foreign-key checks off (session_replication_role = replica, superuser
 * only), so a sample need not be referentially complete.
 */
const USER_TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS qualified, c.reltuples::float8 AS reltuples
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2`;

/** User tables of the source (not extension members), with the planner's row estimate (null: never analysed). */
async function userTables(db: Database): Promise<ScratchCopy['tables']> {
  const { rows } = await db.query<{ qualified: string; reltuples: number }>(USER_TABLES_SQL);
  return rows.map((r) => ({
    // Quoted only where needed (format %I), so it is both valid SQL and readable in the report.
    table: r.qualified,
    sourceRows: r.reltuples >= 0 ? Math.round(r.reltuples) : null,
  }));
}

/**
 * Copies up to `rows` rows of every user table as JSON, with triggers and
 * foreign-key checks off (session_replication_role = replica, superuser
 * only), so a sample need not be referentially complete. Returns the rows
 * copied per table.
 */
async function copySample(db: Database, target: pg.ClientConfig, rows: number): Promise<Map<string, number>> {
  const copied = new Map<string, number>();
  const tables = await userTables(db);
  const client = new pg.Client({ ...target, application_name: 'voicehive-dbrs-sample' });
  // Failures surface through the awaited queries; an unlistened 'error' event would crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    // Without superuser this fails; the sample then has to satisfy foreign keys, which a LIMIT may not.
    await client.query("SET session_replication_role = 'replica'").catch(() => {});
    for (const { table: q } of tables) {
      const data = await db.query<{ rows: unknown[] | null }>(
        `SELECT json_agg(s) AS rows FROM (SELECT * FROM ${q} LIMIT ${rows}) s`,
      );
      const sample = data.rows[0]?.rows;
      copied.set(q, sample?.length ?? 0);
      if (!sample?.length) continue;
      const cols = await client.query<{ c: string }>(
        `SELECT quote_ident(attname) AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
        [q],
      );
      const list = cols.rows.map((r) => r.c).join(', ');
      await client.query(
        `INSERT INTO ${q} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM json_populate_recordset(NULL::${q}, $1::json)`,
        [JSON.stringify(sample)],
      );
    }
    // The migration test's planner and ANALYZE-dependent steps should see the sample, not empty statistics.
    await client.query('ANALYZE');
  } finally {
    await client.end().catch(() => {});
  }
  return copied;
}
