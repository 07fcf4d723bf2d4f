import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { backupFolder } from '../catalog/catalog.js';
import type { BackupManifest, ManifestObject } from '../catalog/manifest.js';
import { ByteCounter } from '../pipeline/counting.js';
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

/**
 * `onRead`, when given, hears the plaintext bytes drain() and toFile() have
 * read so far, summed over their calls (the download/prove phase's
 * progress); open()'s streams are the caller's to count.
 */
export function objectOpener(
  storage: BackupStorage,
  manifest: BackupManifest,
  keyRing: KeyRing | undefined,
  onRead?: (bytes: number) => void,
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
  let readBefore = 0;
  const counted = async (obj: ManifestObject, sink: Writable, signal?: AbortSignal) => {
    if (!onRead) return pipeline(await open(obj, signal), sink, { signal });
    const base = readBefore;
    const counter = new ByteCounter((n) => onRead(base + n));
    await pipeline(await open(obj, signal), counter, sink, { signal });
    readBefore += counter.bytes;
  };
  return {
    open,
    async toFile(obj, path, signal) {
      await mkdir(dirname(path), { recursive: true });
      await counted(obj, createWriteStream(path), signal);
    },
    async drain(obj, signal) {
      await counted(obj, new Writable({ write: (_c, _e, cb) => cb() }), signal);
    },
  };
}
