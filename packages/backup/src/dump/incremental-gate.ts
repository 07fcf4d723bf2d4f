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

/** Default of `incrementalMaxChain`: see DatabaseBackupManagerOptions. */
export const DEFAULT_INCREMENTAL_MAX_CHAIN = 7;

/** Why an incremental request took a full backup instead. */
export type FullBecause = 'no-parent' | 'chain-limit' | 'chain-broken';

export type ParentDecision =
  | { parent: BackupManifest; fullBecause?: undefined; message?: undefined }
  | { parent?: undefined; fullBecause: FullBecause; message: string };

/**
 * The parent an incremental is taken against, or why a full backup is taken
 * instead: no candidate (chooseParent), the candidate's chain already holds
 * `maxIncrementals` incrementals (each link makes a restore slower, and
 * retention keeps the whole chain), or a link of the candidate's chain is not
 * in `backups` (deleted by hand): a child of a broken chain could never be
 * restored either. `backups` are this database folder's manifests, where a
 * chain's links live.
 */
export function decideParent(
  backups: BackupManifest[],
  server: { systemIdentifier: string; major: number },
  maxIncrementals: number,
): ParentDecision {
  const parent = chooseParent(backups, server);
  if (!parent) {
    return {
      fullBecause: 'no-parent',
      message:
        'no earlier physical backup of this cluster in the storage: taking a full backup instead of an incremental',
    };
  }
  const byId = new Map(backups.map((b) => [b.backupId, b]));
  let incrementals = 0;
  let link: BackupManifest = parent;
  for (let next = link.incremental?.parentBackupId; next !== undefined; next = link.incremental?.parentBackupId) {
    incrementals += 1;
    const found = byId.get(next);
    if (!found) {
      return {
        fullBecause: 'chain-broken',
        message: `the chain of the newest physical backup ${parent.backupId} is broken (${next} is missing), so an incremental on it could not be restored: taking a full backup instead`,
      };
    }
    // Past the limit the answer is known; this also ends a cycle of hand-edited manifests.
    if (incrementals > maxIncrementals) break;
    link = found;
  }
  if (incrementals >= maxIncrementals) {
    return {
      fullBecause: 'chain-limit',
      message: `the newest physical backup ${parent.backupId} already ends a chain of ${incrementals} incremental backups (incrementalMaxChain = ${maxIncrementals}): taking a full backup instead, which starts a new chain`,
    };
  }
  return { parent };
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
