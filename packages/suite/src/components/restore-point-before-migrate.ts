import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { Database } from '@voicehive/db-core';
import { errorMessage } from '@voicehive/db-core';

/** What `migrate up` did about a restore point before applying anything. */
export type MigrationRestorePoint =
  | { created: true; name: string; lsn: string; undo: string }
  | { created: false; reason: string };

/**
 * Before `migrate up` applies pending migrations: a named restore point
 * (pg_create_restore_point, recorded in the WAL archive) when this suite
 * archives WAL — the backup feature is on and archive_mode is on — so
 * undoing the run is one `dbrs backup restore … --target-name <name>`.
 * Without archiving a restore point could never be reached, so none is made.
 * A failure to make one is reported, not thrown: the deploy goes on, and the
 * output says that this run has no restore point.
 */
export async function restorePointBeforeMigrations(options: {
  database: Database;
  backups: DatabaseBackupManager | undefined;
  pending: readonly string[];
  now?: Date;
  signal?: AbortSignal;
}): Promise<MigrationRestorePoint> {
  if (options.pending.length === 0) return { created: false, reason: 'no pending migration' };
  if (!options.backups) return { created: false, reason: 'the backup feature is off' };
  try {
    const mode = await options.database.query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode", [], {
      signal: options.signal,
    });
    if (mode.rows[0]?.mode === 'off') return { created: false, reason: 'WAL archiving is off (archive_mode)' };
    const at = (options.now ?? new Date())
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    // The first pending migration's name says which run it precedes; 63 bytes is PostgreSQL's limit.
    const first = options.pending[0]!.replace(/[^A-Za-z0-9_.-]/g, '-');
    const name = `before-migrate-${at}-${first}`.slice(0, 63);
    const point = await options.backups.createRestorePoint(name, { signal: options.signal });
    return {
      created: true,
      name: point.name,
      lsn: point.lsn,
      undo: `dbrs backup restore latest --target-directory <empty dir> --target-name ${point.name} --start`,
    };
  } catch (err) {
    return { created: false, reason: `creating the restore point failed: ${errorMessage(err)}` };
  }
}
