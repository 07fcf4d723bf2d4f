import { DbrsError, isDbrsError } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';

/** A chain longer than this is treated as broken (a parent cycle in hand-edited manifests). */
const MAX_CHAIN = 64;

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
 * Restoring (or verifying by extraction) an incremental physical backup
 * needs its whole chain combined by pg_combinebackup of PostgreSQL 17; laying
 * out its own tars alone would give a data directory of partial files that
 * PostgreSQL refuses at best. This version does not combine chains, so the
 * request is refused with the chain named — before anything is written.
 * `alternative`: a full backup that would serve instead (said in the hint).
 */
export async function refuseIncremental(o: {
  manifest: BackupManifest;
  find: (backupId: string) => Promise<BackupManifest>;
  /** What was asked, for the message: 'restore', 'verify at level 2', … */
  action: string;
  alternative?: string;
}): Promise<void> {
  if (!o.manifest.incremental) return;
  const chain = await incrementalChain(o.manifest, o.find);
  throw new DbrsError(
    'UNSUPPORTED',
    `Backup ${o.manifest.backupId} is an incremental physical backup (chain, full backup first: ${chain.join(' → ')}); ` +
      `to ${o.action} it, the chain must be combined with pg_combinebackup of PostgreSQL 17 or newer, which this version does not do.`,
    {
      hint: o.alternative
        ? `Use the full physical backup ${o.alternative} instead (pass its id); it serves the same target.`
        : 'Use a full (non-incremental) physical backup instead; dbrs backup list shows them.',
      details: { backupId: o.manifest.backupId, chain, parentBackupId: o.manifest.incremental.parentBackupId },
    },
  );
}
