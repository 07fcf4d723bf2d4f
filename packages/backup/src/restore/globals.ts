import { DbrsError, errorMessage } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import type { PgTool } from '../kinds.js';
import { feedTool } from '../tools/feed.js';
import { spawnTool } from '../tools/spawn.js';
import type { ObjectOpener } from './fetch.js';

export interface GlobalsRestoreResult {
  /** Errors psql printed that were tolerated: objects that already exist on the target. */
  alreadyExisted: string[];
}

/** psql's error lines, e.g. `psql:<stdin>:12: ERROR:  role "app" already exists`. */
export function psqlErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /\b(ERROR|FATAL):/.test(l))
    .map((l) => l.replace(/^psql:[^:]*:\d+:\s*/, '').trim());
}

/**
 * Replays `pg_dumpall --globals-only` (roles, role settings and
 * memberships, tablespaces) with psql before pg_restore, so owners and
 * grants in the dump find their roles. psql runs with ON_ERROR_STOP=0: a
 * role or tablespace that already exists is tolerated (and reported), any
 * other error fails the restore after psql has applied what it could.
 */
export async function restoreGlobals(o: {
  manifest: BackupManifest;
  opener: ObjectOpener;
  env: NodeJS.ProcessEnv;
  targetDatabase: string;
  toolPath(tool: PgTool): string;
  signal?: AbortSignal;
}): Promise<GlobalsRestoreResult> {
  const obj = o.manifest.objects.find((x) => x.role === 'globals');
  if (!obj) {
    throw new DbrsError('INVALID_ARGUMENT', `Backup ${o.manifest.backupId} holds no globals to restore.`, {
      hint: 'Take backups with createBackup(db, { globals: true }), or leave restoreGlobals off.',
    });
  }
  const tool = spawnTool(
    'psql',
    o.toolPath('psql'),
    ['-X', '-q', '--no-password', '-v', 'ON_ERROR_STOP=0', `--dbname=${o.targetDatabase}`],
    { env: o.env, stdin: 'pipe', stdout: 'ignore', stderrLimit: 1 << 20, signal: o.signal, operation: 'restore' },
  );
  await feedTool(tool, await o.opener.open(obj, o.signal), {
    signal: o.signal,
    operation: 'restore',
    toolFailed: (err) =>
      new DbrsError('RESTORE_FAILED', `Replaying the globals failed: ${errorMessage(err)}`, { cause: err }),
  });
  const errors = psqlErrors(tool.stderr());
  const alreadyExisted = errors.filter((e) => /already exists/.test(e));
  const other = errors.filter((e) => !/already exists/.test(e));
  if (other.length) {
    throw new DbrsError(
      'RESTORE_FAILED',
      `Replaying the globals (roles, tablespaces) failed: ${other.slice(0, 5).join('; ')}.`,
      {
        hint: 'Fix the target server (e.g. create tablespace directories) or restore without restoreGlobals and create the roles yourself.',
        details: { errors: other, alreadyExisted },
      },
    );
  }
  return { alreadyExisted };
}
