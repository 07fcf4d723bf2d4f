import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DbrsError } from '@voicehive/db-core';
import type { BackupManifest, ManifestObject } from '../catalog/manifest.js';
import type { ObjectOpener } from './fetch.js';

export interface ProveOptions {
  manifest: BackupManifest;
  opener: ObjectOpener;
  /** pg_restore jobs: above 1 (and for directory-format dumps) pg_restore needs a local copy. */
  jobs: number;
  /** Also prove the globals object (restoreGlobals). */
  globals: boolean;
  tempDir: string;
  signal?: AbortSignal;
}

/** What the restore reads once the backup is proved. */
export interface ProvedBackup {
  /** A local, verified copy of the dump for pg_restore; undefined: pg_restore streams from storage. */
  localDump?: string;
  /** Removes the local copy. */
  dispose(): Promise<void>;
}

/**
 * Proves the backup whole before a restore touches its target: every object
 * the restore needs is read to its end through the same path the restore
 * uses (stored SHA-256, every AEAD chunk, so the key opens it, and
 * decompression). Where pg_restore needs a file anyway, the proof is that
 * download into the scratch area and the restore reads the proved copy; a
 * streamed restore reads the objects a second time (it re-checks the same
 * SHA-256, so a change between the two reads still fails, only later).
 */
export async function proveBackup(o: ProveOptions): Promise<ProvedBackup> {
  const { manifest, opener, signal } = o;
  const dumpObjects = manifest.objects.filter((x) => x.role === 'custom-dump' || x.role === 'directory-file');
  if (dumpObjects.length === 0) {
    throw new DbrsError('INTEGRITY_FAILED', `Backup ${manifest.backupId} lists no dump object to restore.`);
  }
  const others: ManifestObject[] = o.globals ? manifest.objects.filter((x) => x.role === 'globals') : [];
  if (o.globals && others.length === 0) {
    throw new DbrsError('INVALID_ARGUMENT', `Backup ${manifest.backupId} holds no globals to restore.`, {
      hint: 'Take backups with createBackup(db, { globals: true }), or leave restoreGlobals off.',
    });
  }
  for (const obj of others) await opener.drain(obj, signal);
  if (manifest.format === 'custom' && o.jobs === 1) {
    for (const obj of dumpObjects) await opener.drain(obj, signal);
    return { dispose: async () => {} };
  }
  const dir = await mkdtemp(join(o.tempDir, 'vhbk-restore-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    if (manifest.format === 'custom') {
      const localDump = join(dir, 'dump.pgdump');
      await opener.toFile(dumpObjects[0]!, localDump, signal);
      return { localDump, dispose };
    }
    const localDump = join(dir, 'dump');
    for (const obj of dumpObjects) await opener.toFile(obj, join(localDump, obj.path.replace(/^dir\//, '')), signal);
    return { localDump, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
