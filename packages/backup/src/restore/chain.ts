import { DbrsError, isDbrsError } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';

/**
 * The most backups a chain is walked through (full backup included): a bound
 * on the walk (a cycle in hand-edited manifests ends it earlier). createBackup
 * keeps chains far shorter (the incrementalMaxChain setting, at most
 * MAX_CHAIN - 1 incrementals), so only chains built before that limit reach it.
 */
export const MAX_CHAIN = 64;

/** Marks a parent that is not in the catalog (deleted by hand, or another storage). */
const MISSING = 'missing';

/**
 * The backups an incremental restores from, oldest (the full backup) first,
 * ending with `manifest` itself. A parent that cannot be found ends the walk
 * with `<id> (missing)`, so the operator sees where the chain is broken.
 */
export async function incrementalChain(
  manifest: BackupManifest,
  find: (backupId: string) => Promise<BackupManifest>,
): Promise<string[]> {
  const chain = [manifest.backupId];
  let parent = manifest.incremental?.parentBackupId;
  while (parent !== undefined && chain.length < MAX_CHAIN) {
    if (chain.includes(parent)) {
      chain.unshift(`${parent} (cycle)`);
      break;
    }
    try {
      const m = await find(parent);
      chain.unshift(m.backupId);
      parent = m.incremental?.parentBackupId;
    } catch (err) {
      if (!isDbrsError(err, 'NOT_FOUND')) throw err;
      chain.unshift(`${parent} (${MISSING})`);
      break;
    }
  }
  return chain;
}

/**
 * The manifests an incremental restores from, oldest (the full backup)
 * first, ending with `manifest` itself; a full backup is a chain of one.
 * Read before anything is written: a parent that is gone (deleted by hand,
 * another storage) or a cycle is NOT_FOUND with the chain named, full
 * backup first and the break marked, so the operator sees where it breaks.
 */
export async function resolveChain(o: {
  manifest: BackupManifest;
  find: (backupId: string) => Promise<BackupManifest>;
  /** What was asked, for the message: 'restore', 'verify at level 2', … */
  action: string;
  /** A full backup that would serve instead (said in the hint). */
  alternative?: string;
}): Promise<BackupManifest[]> {
  const chain: BackupManifest[] = [o.manifest];
  let parent = o.manifest.incremental?.parentBackupId;
  while (parent !== undefined) {
    if (chain.length >= MAX_CHAIN || chain.some((m) => m.backupId === parent)) break;
    try {
      const m = await o.find(parent);
      chain.unshift(m);
      parent = m.incremental?.parentBackupId;
    } catch (err) {
      if (!isDbrsError(err, 'NOT_FOUND')) throw err;
      break;
    }
  }
  if (parent === undefined) return chain;
  if (chain.length >= MAX_CHAIN) throw chainTooLong(o.manifest, chain, o.action);
  const named = await incrementalChain(o.manifest, o.find);
  throw new DbrsError(
    'NOT_FOUND',
    `Backup ${o.manifest.backupId} is an incremental physical backup whose chain is broken (full backup first: ${named.join(' → ')}); ` +
      `to ${o.action} it, every backup of the chain is needed. Nothing was written.`,
    {
      hint: o.alternative
        ? `Use the full physical backup ${o.alternative} instead (pass its id); it serves the same target.`
        : 'Use a full (non-incremental) physical backup, or an incremental whose chain is complete; dbrs backup list shows them.',
      details: { backupId: o.manifest.backupId, chain: named, parentBackupId: o.manifest.incremental?.parentBackupId },
    },
  );
}

/** Nothing is missing: the walk stopped at its bound, which a chain grown before incrementalMaxChain existed can reach. */
function chainTooLong(manifest: BackupManifest, chain: BackupManifest[], action: string): DbrsError {
  const first = chain[0]!.backupId;
  return new DbrsError(
    'UNSUPPORTED',
    `Backup ${manifest.backupId} is an incremental physical backup whose chain is longer than ${MAX_CHAIN} backups ` +
      `(the walk stopped at ${first}, itself incremental, with ${MAX_CHAIN} backups read and none missing); ` +
      `to ${action} it, this chain is too long. Nothing was written.`,
    {
      hint:
        'Take a full physical backup now (dbrs backup create --type physical, without --incremental) and restore that one, ' +
        'or an older backup of a shorter chain; keep backup.incrementalMaxChain (default 7) so later chains stay short.',
      details: { backupId: manifest.backupId, maxChain: MAX_CHAIN, stoppedAt: first },
    },
  );
}
