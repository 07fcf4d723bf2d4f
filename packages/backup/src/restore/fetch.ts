import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { backupFolder } from '../catalog/catalog.js';
import type { BackupManifest, ManifestObject } from '../catalog/manifest.js';
import type { KeyRing } from '../pipeline/encryption/keyring.js';
import { readObject } from '../pipeline/object-io.js';
import type { BackupStorage } from '../storage/types.js';

/** Opens stored objects of one backup as plaintext streams, checking each object's SHA-256 at its end. */
export interface ObjectOpener {
  open(obj: ManifestObject, signal?: AbortSignal): Promise<Readable>;
  toFile(obj: ManifestObject, path: string, signal?: AbortSignal): Promise<void>;
  /** Reads the object to its end and discards it: proves it is whole (SHA-256), the key opens it and it decompresses. */
  drain(obj: ManifestObject, signal?: AbortSignal): Promise<void>;
}

export function objectOpener(
  storage: BackupStorage,
  manifest: BackupManifest,
  keyRing: KeyRing | undefined,
): ObjectOpener {
  const open = (obj: ManifestObject, signal?: AbortSignal) =>
    readObject({
      storage,
      key: `${backupFolder(manifest.database, manifest.backupId)}${obj.name}`,
      compression: manifest.compression,
      encrypted: manifest.encryption !== null,
      keyRing,
      expectedSha256: obj.sha256,
      signal,
    });
  return {
    open,
    async toFile(obj, path, signal) {
      await mkdir(dirname(path), { recursive: true });
      await pipeline(await open(obj, signal), createWriteStream(path), { signal });
    },
    async drain(obj, signal) {
      await pipeline(await open(obj, signal), new Writable({ write: (_c, _e, cb) => cb() }), { signal });
    },
  };
}
