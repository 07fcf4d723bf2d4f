import type { Database } from '@voicehive/db-core';
import { errorMessage } from '@voicehive/db-core';
import pg from 'pg';
import type { MigrationSqlInput } from '../lint/types.js';
import { createScratchDatabase, type ScratchDatabase } from '../rehearsal/scratch-database.js';
import type { MigrationSource } from '../sources/types.js';
import { kyselyOver } from './client-kysely.js';

export interface CapturedMigration extends MigrationSqlInput {
  /** Why the SQL could not be captured completely, if it could not. */
  captureError?: string;
}

export interface CaptureOptions {
  /**
   * 'prefer-scratch' (default): execute on a schema-only scratch copy, and
   * on the live database (rolled back) only when no copy can be made.
   * 'live': always the live database, in a rolled-back transaction.
   */
  target?: 'prefer-scratch' | 'live';
  /** Directory of pg_dump/psql for the scratch copy. Default: PATH. */
  binDir?: string;
  signal?: AbortSignal;
}

/** Where module migrations were executed to record their SQL. */
export interface CaptureInfo {
  /** 'none': nothing had to run (only SQL files, or only no-transaction modules). */
  executedOn: 'none' | 'scratch' | 'live-rolled-back';
  /** Why no scratch copy could be made, when the capture fell back to the live database. */
  scratchError?: string;
}

/**
 * The SQL each pending migration would run, for the linter. SQL files are
 * read; TS/JS modules are executed through a recording Kysely inside one
 * transaction that is always rolled back (earlier migrations of the batch are
 * executed too, so later ones find their tables). That transaction runs on a
 * schema-only scratch copy when one can be made: on the live database even a
 * rolled-back `up` takes real locks (an index build blocks writes) for as long
 * as it runs. No-transaction modules are only recorded, never executed: their
 * statements (CONCURRENTLY) cannot run inside the capture transaction.
 */
export async function captureMigrationSql(
  db: Database,
  sources: MigrationSource[],
  options: CaptureOptions = {},
): Promise<{ migrations: CapturedMigration[]; capture: CaptureInfo }> {
  const mustExecute = sources.some((s) => s.kind === 'module' && s.transactional);
  if (!mustExecute) return { migrations: await recordAll(undefined, sources, false), capture: { executedOn: 'none' } };
  let scratch: ScratchDatabase | undefined;
  let scratchError: string | undefined;
  if ((options.target ?? 'prefer-scratch') === 'prefer-scratch') {
    try {
      scratch = await createScratchDatabase(db, {
        data: 'schema',
        ...(options.binDir ? { binDir: options.binDir } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      // No CREATEDB privilege, no pg_dump, a pooler that refuses CREATE DATABASE…: fall back, and say so.
      scratchError = errorMessage(err);
    }
  }
  const config = scratch
    ? { ...scratch.config, application_name: 'voicehive-dbrs-lint-capture' }
    : db.clientConfig({ application_name: 'voicehive-dbrs-lint-capture' });
  try {
    const migrations = await recordAll(new pg.Client(config), sources, !scratch);
    return {
      migrations,
      capture: scratch
        ? { executedOn: 'scratch' }
        : { executedOn: 'live-rolled-back', ...(scratchError ? { scratchError } : {}) },
    };
  } finally {
    await scratch?.drop().catch(() => {});
  }
}

async function recordAll(
  client: pg.Client | undefined,
  sources: MigrationSource[],
  live: boolean,
): Promise<CapturedMigration[]> {
  const out: CapturedMigration[] = [];
  let connected = false;
  try {
    if (client) {
      // Failures surface through the awaited queries; an unlistened 'error' event would crash the process.
      client.on('error', () => {});
      await client.connect();
      connected = true;
      await client.query('BEGIN');
      if (live) {
        // On the live database: never queue behind traffic or run long.
        await client.query("SET LOCAL lock_timeout = '1s'");
        await client.query("SET LOCAL statement_timeout = '30s'");
      }
    }
    for (const m of sources) {
      if (m.kind === 'sql') {
        out.push({ name: m.name, sql: m.upSql ?? '', transactional: m.transactional });
        if (client && connected && m.transactional) {
          await client.query('SAVEPOINT dbrs_capture');
          await client.query(m.upSql ?? '').then(
            () => client.query('RELEASE SAVEPOINT dbrs_capture'),
            () => client.query('ROLLBACK TO SAVEPOINT dbrs_capture'),
          );
        }
        continue;
      }
      const recorded: string[] = [];
      const execute = m.transactional && client !== undefined;
      const kysely = await kyselyOver(async (text, params) => {
        recorded.push(text);
        if (!execute) return { rows: [] };
        return client!.query(text, params as unknown[]);
      });
      let captureError: string | undefined;
      if (execute) await client!.query('SAVEPOINT dbrs_capture');
      try {
        const mod = await m.load!();
        await mod.up(kysely);
        if (execute) await client!.query('RELEASE SAVEPOINT dbrs_capture');
      } catch (err) {
        captureError = errorMessage(err);
        if (execute) await client!.query('ROLLBACK TO SAVEPOINT dbrs_capture');
      }
      out.push({
        name: m.name,
        sql: recorded.map((s) => `${s.trim().replace(/;\s*$/, '')};`).join('\n'),
        transactional: m.transactional,
        ...(captureError ? { captureError } : {}),
      });
    }
  } finally {
    if (client && connected) {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
    }
  }
  return out;
}
