import { siblingDatabase as coreSibling, type Database, DbrsError, quoteIdent } from '@voicehive/db-core';
import { listUserTables } from '../dump/snapshot.js';

/** Connection to another database on the same server, with the credentials and TLS of `db`. */
export function siblingDatabase(db: Database, name: string): Database {
  return coreSibling(db, name, { poolMax: 2, applicationName: 'voicehive-dbrs-backup' });
}

export async function databaseExists(db: Database, name: string, signal?: AbortSignal): Promise<boolean> {
  const res = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [name], { signal });
  return res.rowCount === 1;
}

export async function createDatabaseIfMissing(db: Database, name: string, signal?: AbortSignal): Promise<boolean> {
  if (await databaseExists(db, name, signal)) return false;
  await db.query(`CREATE DATABASE ${quoteIdent(name)}`, [], { signal });
  return true;
}

export async function dropDatabase(db: Database, name: string): Promise<void> {
  await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

/** Refuses a target holding any user table unless `clean` (restoring over live data is rarely what was meant). */
export async function assertRestorable(target: Database, clean: boolean, signal?: AbortSignal): Promise<void> {
  if (clean) return;
  const tables = await target.withClient((c) => listUserTables(c), { signal });
  if (tables.length > 0) {
    throw new DbrsError(
      'TARGET_NOT_EMPTY',
      `Target database "${target.info.database}" already has ${tables.length} table(s) (e.g. ${tables[0]!.schema}.${tables[0]!.name}).`,
      {
        hint: 'Restore into an empty or new database (targetDatabase creates it), or pass clean: true to drop and replace the objects.',
        details: { database: target.info.database, tables: tables.length },
      },
    );
  }
}
