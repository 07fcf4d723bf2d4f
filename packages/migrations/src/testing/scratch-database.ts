import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type Database, DbrsError, libpqEnv, quoteIdent } from '@voicehive/db-core';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  config: pg.ClientConfig;
  drop(): Promise<void>;
}

export interface ScratchOptions {
  /**
   * 'schema' (default): structure only; 'full': structure and data;
   * `{ sampleRows: n }`: structure plus the first n rows of every table.
   */
  data?: 'schema' | 'full' | { sampleRows: number };
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
  const name = `dbrs_scratch_${process.pid}_${randomBytes(4).toString('hex')}`;
  await db.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  };
  try {
    await copySchema(db, db.info.database, name, options);
    if (typeof options.data === 'object') await copySample(db, { ...source, database: name }, options.data.sampleRows);
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  return { name, config: { ...source, database: name }, drop };
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
    restore.on('close', (code) =>
      finish(
        code === 0
          ? undefined
          : new DbrsError(
              'TOOL_FAILED',
              `psql restore into the scratch database exited with ${code}: ${restoreErr.trim().slice(0, 500)}`,
            ),
      ),
    );
  });
}

/**
 * Copies up to `rows` rows of every user table as JSON, with triggers and
 * foreign-key checks off (session_replication_role = replica, superuser
 * only), so a sample need not be referentially complete.
 */
async function copySample(db: Database, target: pg.ClientConfig, rows: number): Promise<void> {
  if (!Number.isInteger(rows) || rows < 1) {
    throw new DbrsError(
      'INVALID_ARGUMENT',
      `testOptions.data.sampleRows must be a positive integer, got ${String(rows)}.`,
    );
  }
  const tables = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`,
  );
  const client = new pg.Client({ ...target, application_name: 'voicehive-dbrs-sample' });
  // Failures surface through the awaited queries; an unlistened 'error' event would crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    // Without superuser this fails; the sample then has to satisfy foreign keys, which a LIMIT may not.
    await client.query("SET session_replication_role = 'replica'").catch(() => {});
    for (const t of tables.rows) {
      const q = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
      const data = await db.query<{ rows: unknown[] | null }>(
        `SELECT json_agg(s) AS rows FROM (SELECT * FROM ${q} LIMIT ${rows}) s`,
      );
      const sample = data.rows[0]?.rows;
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
  } finally {
    await client.end().catch(() => {});
  }
}
