import { type Duplex, PassThrough, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortError, DbrsError, errorMessage, isDbrsError } from '@voicehive/db-core';
import type { CompressionType } from '../kinds.js';
import type { BackupStorage } from '../storage/types.js';
import { createCompressor, createDecompressor } from './compression.js';
import { ByteCounter, HashingCounter } from './counting.js';
import type { KeyRing } from './encryption/keyring.js';

export interface WriteObjectOptions {
  storage: BackupStorage;
  key: string;
  compression: CompressionType;
  compressionLevel?: number;
  zstdProgram?: string | false;
  /** Encrypts when given and it has keys. */
  keyRing?: KeyRing;
  metadata?: Record<string, string>;
  signal?: AbortSignal;
  /** Raw bytes read from the source so far. */
  onRawBytes?: (bytes: number) => void;
  /** Bytes after compression and encryption so far (what will be stored). */
  onStoredBytes?: (bytes: number) => void;
  /** Bytes the storage has accepted so far. */
  onUploadedBytes?: (bytes: number) => void;
}

export interface StoredObject {
  /** Key relative to the backup folder is set by the caller; here the full storage key. */
  key: string;
  rawBytes: number;
  storedBytes: number;
  /** SHA-256 of the stored (compressed, encrypted) bytes: what level-1 verification re-reads. */
  sha256: string;
}

/**
 * source → count → compress → encrypt → SHA-256 → storage.put, all streamed
 * with backpressure. Either the whole object is stored and described, or the
 * promise rejects and the adapter leaves nothing under `key`.
 */
export async function writeObject(source: Readable, options: WriteObjectOptions): Promise<StoredObject> {
  const raw = new ByteCounter(options.onRawBytes);
  const stages: Array<Transform | Duplex> = [raw];
  // No identity stage for 'none' (the zstd-program path arrives compressed): one hop and one buffer fewer per byte.
  if (options.compression !== 'none') {
    stages.push(
      createCompressor(options.compression, { level: options.compressionLevel, zstdProgram: options.zstdProgram }),
    );
  }
  if (options.keyRing?.encrypting) stages.push(await options.keyRing.createEncryptor());
  const hasher = new HashingCounter(options.onStoredBytes);
  const flowing = pipeline([source, ...stages, hasher] as unknown as [Readable, ...Transform[]], {
    signal: options.signal,
  }).catch((err) => {
    // Surface why the source stopped, not "premature close" from downstream.
    throw options.signal?.aborted ? abortError(options.signal, 'backup') : err;
  });
  // The adapter reads `body`, not the pipeline's last stream: once the upload
  // failed, tearing the pipeline down must not reach the adapter as a second,
  // misleading error (an AbortError instead of its ENOSPC).
  const body = new PassThrough({ highWaterMark: 1 << 18 });
  hasher.pipe(body);
  // Errors on body reach the adapter through its reads; this listener only keeps a late one from crashing the process.
  body.on('error', () => {});
  let putSettled = false;
  flowing.catch((err) => {
    if (!putSettled) body.destroy(err as Error);
  });
  const stored = options.storage
    .put(options.key, body, {
      metadata: options.metadata,
      signal: options.signal,
      ...(options.onUploadedBytes ? { onProgress: options.onUploadedBytes } : {}),
    })
    .finally(() => {
      putSettled = true;
    })
    .catch((err) => {
      source.destroy();
      throw err;
    });
  const [flow, put] = await Promise.allSettled([flowing, stored]);
  if (put.status === 'fulfilled' && flow.status === 'rejected')
    await options.storage.delete(options.key).catch(() => {});
  // A tool or integrity failure explains a broken upload; a bare stream error ("premature close") is the upload's echo.
  if (flow.status === 'rejected' && (isDbrsError(flow.reason) || put.status === 'fulfilled')) throw flow.reason;
  if (put.status === 'rejected') throw storageError(put.reason, options.key, options.signal);
  return { key: options.key, rawBytes: raw.bytes, storedBytes: hasher.bytes, sha256: hasher.sha256 };
}

function storageError(err: unknown, key: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return abortError(signal, 'backup');
  if (isDbrsError(err)) return err;
  return new DbrsError('STORAGE_FAILED', `Storing ${key} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

export interface ReadObjectOptions {
  storage: BackupStorage;
  key: string;
  compression: CompressionType;
  encrypted: boolean;
  keyRing?: KeyRing;
  /** When given, the stored bytes' SHA-256 must match, else the stream errors with INTEGRITY_FAILED. */
  expectedSha256?: string;
  signal?: AbortSignal;
}

/**
 * storage.get → (SHA-256 check) → decrypt → decompress, as one readable. Tampering
 * surfaces as a stream error (INTEGRITY_FAILED) at the latest at end of
 * stream, so consumers must treat the output as provisional until it ends.
 */
export async function readObject(options: ReadObjectOptions): Promise<Readable> {
  let body: Readable;
  try {
    body = await options.storage.get(options.key, { signal: options.signal });
  } catch (err) {
    throw isDbrsError(err)
      ? err
      : new DbrsError('STORAGE_FAILED', `Reading ${options.key} failed: ${errorMessage(err)}`, { cause: err });
  }
  const stages: Array<Transform | Duplex> = [];
  if (options.expectedSha256) stages.push(new VerifyingHasher(options.key, options.expectedSha256));
  if (options.encrypted) {
    if (!options.keyRing) {
      throw new DbrsError('DECRYPTION_FAILED', `${options.key} is encrypted and no decryption key is configured.`, {
        hint: 'Set encryptionKey or decryptionKeys.',
        details: { callerKey: true },
      });
    }
    stages.push(options.keyRing.createDecryptor());
  }
  if (options.compression !== 'none') stages.push(createDecompressor(options.compression));
  const out = new PassThrough({ highWaterMark: 1 << 18 });
  pipeline([body, ...stages, out] as unknown as [Readable, ...Transform[]], { signal: options.signal }).catch((err) => {
    out.destroy(options.signal?.aborted ? abortError(options.signal, 'read') : (err as Error));
  });
  return out;
}

class VerifyingHasher extends HashingCounter {
  readonly #key: string;
  readonly #expected: string;

  constructor(key: string, expected: string) {
    super();
    this.#key = key;
    this.#expected = expected;
  }

  override _flush(cb: (err?: Error | null) => void): void {
    super._flush((err) => {
      if (err) return cb(err);
      if (this.sha256 !== this.#expected) {
        return cb(
          new DbrsError(
            'INTEGRITY_FAILED',
            `Checksum mismatch for ${this.#key}: the stored object changed since the backup.`,
            {
              details: { object: this.#key, expected: this.#expected, actual: this.sha256 },
            },
          ),
        );
      }
      cb();
    });
  }
}
