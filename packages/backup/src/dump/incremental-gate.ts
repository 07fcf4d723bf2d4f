import { type Database, DbrsError, type ServerVersion } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';

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
 * The backup an incremental is taken against: the newest completed
 * physical backup of the same cluster (system identifier) and major whose
 * pg_basebackup backup_manifest is stored — full or itself incremental, so
 * chains grow one link per backup as pgBackRest's incr backups do.
 * Undefined when there is none (the caller then takes a full backup).
 */
export function chooseParent(
  backups: BackupManifest[],
  server: { systemIdentifier: string; major: number },
): BackupManifest | undefined {
  return backups
    .filter(
      (b) =>
        b.type === 'physical' &&
        b.status === 'completed' &&
        b.server.systemIdentifier === server.systemIdentifier &&
        Math.floor(b.server.versionNum / 10_000) === server.major &&
        b.objects.some((o) => o.role === 'backup-manifest'),
    )
    .sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : a.finishedAt > b.finishedAt ? -1 : 0))[0];
}

/**
 * pg_basebackup --incremental fails when the server has no WAL summaries
 * from the parent's start on (summarize_wal was off then, or the summaries
 * were removed after wal_summary_keep_time): said with the way on.
 */
export function summariesMissing(err: DbrsError, parentBackupId: string): DbrsError {
  if (!/WAL summar/i.test(err.message)) return err;
  return new DbrsError(
    'BACKUP_FAILED',
    `The server has no WAL summaries back to the start of the parent backup ${parentBackupId}, so it cannot tell which blocks changed since: ${err.message}`,
    {
      cause: err,
      hint: 'Take a full physical backup now (without incremental); incrementals after it build on it. Keep summarize_wal = on, and wal_summary_keep_time longer than the time between backups.',
      details: { parentBackupId },
    },
  );
}
