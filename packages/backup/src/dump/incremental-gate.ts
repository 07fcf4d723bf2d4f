import { type Database, DbrsError, type ServerVersion } from '@voicehive/db-core';

/** The first PostgreSQL major whose pg_basebackup takes `--incremental` (and ships pg_combinebackup). */
export const INCREMENTAL_MIN_MAJOR = 17;

/**
 * Checked before anything is written: an incremental backup needs a
 * physical backup, PostgreSQL 17+ and WAL summarization (the server reads
 * its WAL summaries to find the blocks changed since the parent's start).
 * Each refusal says how to proceed; a full physical backup always works.
 */
export async function assertIncrementalPossible(db: Database, server: ServerVersion): Promise<void> {
  if (server.major < INCREMENTAL_MIN_MAJOR) {
    throw new DbrsError(
      'UNSUPPORTED',
      `Incremental backups need PostgreSQL ${INCREMENTAL_MIN_MAJOR} or newer (pg_basebackup --incremental); this server is PostgreSQL ${server.major} (${server.text}).`,
      {
        hint: `Take a full physical backup instead (type 'physical' without incremental; CLI: dbrs backup create --type physical), or upgrade the server to PostgreSQL ${INCREMENTAL_MIN_MAJOR} and set summarize_wal = on.`,
        details: { serverMajor: server.major, minimumMajor: INCREMENTAL_MIN_MAJOR },
      },
    );
  }
  const { rows } = await db.query<{ v: string }>("SELECT current_setting('summarize_wal') AS v");
  if (rows[0]?.v !== 'on') {
    throw new DbrsError(
      'CONFIG_INVALID',
      'Incremental backups need summarize_wal = on: without WAL summaries the server cannot tell which blocks changed since the previous backup.',
      {
        hint: 'Run ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf(); (as a superuser), then take a full physical backup: incrementals build on a backup taken while summarization was on.',
        details: { summarize_wal: rows[0]?.v ?? null },
      },
    );
  }
}

/**
 * Past every check on a 17+ server with a 17+ pg_basebackup: the
 * incremental itself (parent manifest upload, chain in our manifest,
 * pg_combinebackup on restore) is not built yet, so the request is refused
 * rather than silently answered with a full backup.
 */
export function incrementalNotBuilt(): DbrsError {
  return new DbrsError('UNSUPPORTED', 'Incremental physical backups are not built in this version yet.', {
    hint: "Take a full physical backup instead (type 'physical' without incremental; CLI: dbrs backup create --type physical).",
  });
}
