import type { Database } from '@voicehive/db-core';
import { sql as sqlTag } from 'kysely';
import pg from 'pg';
import type { MigrationSqlInput } from '../lint/types.js';
import type { MigrationSource } from '../sources/types.js';
import { kyselyOver } from './client-kysely.js';

export interface CapturedMigration extends MigrationSqlInput {
  /** Why the SQL could not be captured completely, if it could not. */
  captureError?: string;
}

/**
 * The SQL each pending migration would run, for the linter. SQL files are
 * read; TS/JS modules are executed through a recording Kysely inside one
 * transaction that is always rolled back (earlier migrations of the batch are
 * executed too, so later ones find their tables). No-transaction modules are
 * only recorded, never executed: their statements (CONCURRENTLY) cannot run
 * inside the capture transaction.
 */
export async function captureMigrationSql(db: Database, sources: MigrationSource[]): Promise<CapturedMigration[]> {
  const out: CapturedMigration[] = [];
  const client = new pg.Client(db.clientConfig({ application_name: 'voicehive-dbrs-lint-capture' }));
  let connected = false;
  try {
    if (sources.some((s) => s.kind === 'module')) {
      await client.connect();
      connected = true;
      await client.query('BEGIN');
      // The capture runs against the live database: never queue behind traffic or run long.
      await client.query("SET LOCAL lock_timeout = '1s'");
      await client.query("SET LOCAL statement_timeout = '30s'");
    }
    for (const m of sources) {
      if (m.kind === 'sql') {
        out.push({ name: m.name, sql: m.upSql ?? '', transactional: m.transactional });
        if (connected && m.transactional) {
          await client.query('SAVEPOINT dbrs_capture');
          await client.query(m.upSql ?? '').then(
            () => client.query('RELEASE SAVEPOINT dbrs_capture'),
            () => client.query('ROLLBACK TO SAVEPOINT dbrs_capture'),
          );
        }
        continue;
      }
      const recorded: string[] = [];
      const execute = m.transactional;
      const kdb = kyselyOver(async (text, params) => {
        recorded.push(text);
        if (!execute) return { rows: [] };
        return client.query(text, params as unknown[]);
      });
      let captureError: string | undefined;
      if (execute) await client.query('SAVEPOINT dbrs_capture');
      try {
        const mod = await m.load!();
        await mod.up({ db: kdb, sql: sqlTag });
        if (execute) await client.query('RELEASE SAVEPOINT dbrs_capture');
      } catch (err) {
        captureError = (err as Error).message;
        if (execute) await client.query('ROLLBACK TO SAVEPOINT dbrs_capture');
      }
      out.push({
        name: m.name,
        sql: recorded.map((s) => `${s.trim().replace(/;\s*$/, '')};`).join('\n'),
        transactional: m.transactional,
        ...(captureError ? { captureError } : {}),
      });
    }
  } finally {
    if (connected) {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
    }
  }
  return out;
}
