import { type ConnectionCredentials, connectionCredentials, type Database, libpqEnv } from '@voicehive/db-core';

/*
 * Backup's names for core's one libpq helper (`libpqEnv`), kept so the
 * operations that call them need no change: the environment (credentials,
 * PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY) is built in core only.
 */

export type Credentials = ConnectionCredentials;

export const credentials = (db: Database): Credentials => connectionCredentials(db);

/** libpq environment for a child tool (pg_dump, pg_restore, pg_basebackup, psql) connecting where `db` does. */
export function connectionEnv(db: Database, database?: string): NodeJS.ProcessEnv {
  return libpqEnv(db, { ...(database !== undefined ? { database } : {}), applicationName: 'voicehive-dbrs-backup' });
}
