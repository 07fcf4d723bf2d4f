import { createHash } from 'node:crypto';
import { DbrsError, errorMessage } from '@voicehive/db-core';
import { backupFolder } from '../catalog/catalog.js';
import type { BackupManifest } from '../catalog/manifest.js';
import type { BackupStorage } from '../storage/types.js';

/** Level 1: re-read every stored object and compare size and SHA-256 with the manifest; names the first bad object. */
export async function verifyChecksums(
  storage: BackupStorage,
  manifest: BackupManifest,
  signal?: AbortSignal,
): Promise<void> {
  const folder = backupFolder(manifest.database, manifest.backupId);
  for (const obj of manifest.objects) {
    const key = `${folder}${obj.name}`;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await storage.get(key, { signal });
    } catch (cause) {
      throw new DbrsError(
        'INTEGRITY_FAILED',
        `Object ${obj.name} of backup ${manifest.backupId} cannot be read: ${errorMessage(cause)}`,
        {
          cause,
          details: { object: obj.name, backupId: manifest.backupId },
        },
      );
    }
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const actual = hash.digest('hex');
    if (actual !== obj.sha256 || bytes !== obj.storedBytes) {
      throw new DbrsError(
        'INTEGRITY_FAILED',
        `Object ${obj.name} of backup ${manifest.backupId} does not match its manifest (${bytes} bytes, sha256 ${actual.slice(0, 12)}…; expected ${obj.storedBytes} bytes, ${obj.sha256.slice(0, 12)}…).`,
        { details: { object: obj.name, backupId: manifest.backupId, expected: obj.sha256, actual, bytes } },
      );
    }
  }
}
