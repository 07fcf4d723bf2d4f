import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { Database } from '@voicehive/db-core';
import { errorMessage, redactString } from '@voicehive/db-core';
import type { FeatureContext } from './feature.js';
import { FEATURE_FACTORIES } from './index.js';

/** The reason when there is nothing to undo: not worth a line on the terminal. */
export const NOTHING_PENDING = 'no pending migration';

/** What `migrate up` did about a restore point before applying anything. */
export type MigrationRestorePoint =
  | { created: true; name: string; lsn: string; undo: string }
  | { created: false; reason: string };

/**
 * The backup feature as configured, for a restore point: built (so a bad
 * `backup` section is CONFIG_INVALID up front, as when the suite opens it)
 * but not started. Starting it opens the storage, loads the keys and probes
 * the storage, which only a restore point that will be made should pay for.
 */
export interface BackupsForRestorePoint {
  start(signal?: AbortSignal): Promise<DatabaseBackupManager>;
  close(): Promise<void>;
}

/** Why there are no backups to make a restore point with, or the idle feature. */
export async function backupsForRestorePoint(ctx: FeatureContext): Promise<BackupsForRestorePoint | string> {
  if (!ctx.config.backup.enabled) return 'the backup feature is off';
  const built = await FEATURE_FACTORIES.backup(ctx);
  if ('unavailable' in built) return `the backup feature is not available: ${built.unavailable}`;
  const { component } = built;
  return {
    async start(signal) {
      await component.initialize(signal);
      return component.instance;
    },
    close: () => component.close(),
  };
}

/** A name PostgreSQL accepts (63 bytes) that says when the point was made and which run it precedes. */
function restorePointName(now: Date, firstPending: string): string {
  const at = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `before-migrate-${at}-${firstPending.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 63);
}

/**
 * Before `migrate up` applies pending migrations: a named restore point
 * (pg_create_restore_point, recorded in the WAL archive) when this suite
 * archives WAL — the backup feature is on and archive_mode is on — so
 * undoing the run is one `dbrs backup restore … --target-name <name>`.
 * Without archiving a restore point could never be reached, so none is made.
 * The cheap questions come first (anything pending, backup configured,
 * archive_mode); the backup feature is started only when a point will be
 * made. A failure is reported, not thrown: the deploy goes on, and the
 * output says that this run has no restore point and why.
 */
export async function restorePointBeforeMigrations(options: {
  database: Database;
  /** The idle backup feature, or why there is none (`backupsForRestorePoint`). */
  backups: BackupsForRestorePoint | string;
  pending: readonly string[];
  now?: Date;
  signal?: AbortSignal;
}): Promise<MigrationRestorePoint> {
  const { backups, signal } = options;
  if (options.pending.length === 0) return { created: false, reason: NOTHING_PENDING };
  if (typeof backups === 'string') return { created: false, reason: backups };
  let mode: string | undefined;
  try {
    const r = await options.database.query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode", [], {
      signal,
    });
    mode = r.rows[0]?.mode;
  } catch (err) {
    return { created: false, reason: `reading archive_mode failed: ${redactString(errorMessage(err))}` };
  }
  if (mode === 'off') return { created: false, reason: 'WAL archiving is off (archive_mode)' };
  let manager: DatabaseBackupManager;
  try {
    manager = await backups.start(signal);
  } catch (err) {
    // Redacted as the suite redacts a feature's start failure: storage errors may carry a URL.
    return { created: false, reason: `the backup feature failed to start: ${redactString(errorMessage(err))}` };
  }
  try {
    const name = restorePointName(options.now ?? new Date(), options.pending[0]!);
    const point = await manager.createRestorePoint(name, { signal });
    return {
      created: true,
      name: point.name,
      lsn: point.lsn,
      undo: `dbrs backup restore latest --target-directory <empty dir> --target-name ${point.name} --start`,
    };
  } catch (err) {
    // Redacted like the start failure above: it writes to the storage, whose errors may carry a URL.
    return { created: false, reason: `creating the restore point failed: ${redactString(errorMessage(err))}` };
  }
}
