import { PassThrough, type Readable } from 'node:stream';
import type { File, Storage, StorageOptions } from '@google-cloud/storage';
import { abortError, DbrsError, redactString, throwIfAborted } from '@voicehive/db-core';
import { destroyOnAbort } from './download-stream.js';
import { normalizeRootPrefix, validatePrefix } from './keys.js';
import { loadSdk, type ModuleImporter } from './load-sdk.js';
import { StorageBase } from './storage-base.js';
import type { BackupStorage, GetOptions, ListOptions, ObjectInfo, PutOptions } from './types.js';
import { untilAborted } from './until-aborted.js';
import { progressCounter, type UploadSource, writeAll } from './upload-source.js';

type GcsModule = typeof import('@google-cloud/storage');

const INSTALL = ['@google-cloud/storage'] as const;
const AUTH_HINT =
  'Check GOOGLE_APPLICATION_CREDENTIALS / `keyFilename` / `credentials`, and that the service account has roles/storage.objectAdmin on the bucket.';

export interface GcsStorageOptions {
  bucket: string;
  /** Folder inside the bucket that holds every key. Default ''. */
  prefix?: string;
  /** Default: from the credentials or the environment. */
  projectId?: string;
  /** For emulators and private endpoints, e.g. `http://127.0.0.1:4443`. Requests to a custom endpoint are unauthenticated. */
  apiEndpoint?: string;
  /** Path of a service-account JSON key. Default: Application Default Credentials. */
  keyFilename?: string;
  /** Service-account key as an object. */
  credentials?: StorageOptions['credentials'];
  /** A ready Storage instance; the connection options above are then ignored. */
  storage?: Storage;
  /**
   * Resumable upload chunk size (a multiple of 256 KiB). Default: none, the
   * whole stream goes in one resumable request (the SDK's default; chunked
   * uploads buffer each chunk in memory).
   */
  chunkSize?: number;
  /** Attempts per request for retryable failures. Default 3 retries. */
  maxRetries?: number;
  /** How the SDK is imported; for tests and bundlers. Default `import()`. */
  importModule?: ModuleImporter;
  /**
   * A download that delivers no byte for this long fails with STORAGE_FAILED.
   * The SDK's read stream was seen to stall instead of erroring when the
   * server vanished mid-download (fault suite: GCS fake stopped). Default 120000.
   */
  downloadIdleTimeoutMs?: number;
}

/**
 * Google Cloud Storage. Uploads are resumable sessions validated with CRC32C
 * (the SDK compares its own hash with the one GCS computed and deletes the
 * object on a mismatch); the object becomes visible only when the session is
 * finalized, so a failed or aborted upload leaves nothing under the key.
 */
export class GcsStorage extends StorageBase implements BackupStorage {
  readonly kind = 'gcs' as const;
  readonly location: string;
  private readonly options: GcsStorageOptions;
  private readonly root: string;
  private loaded: Promise<Storage> | undefined;

  constructor(options: GcsStorageOptions) {
    super();
    if (typeof options?.bucket !== 'string' || options.bucket.trim() === '') {
      throw new DbrsError('CONFIG_INVALID', 'GcsStorage needs a bucket name.', {
        hint: 'Set `gcsBucket` (BACKUP_GCS_BUCKET).',
      });
    }
    this.options = options;
    this.root = normalizeRootPrefix(options.prefix);
    this.location = `gs://${options.bucket}/${this.root}`;
  }

  /** Checks that the bucket exists and the credentials can see it. */
  async ensure(options: { signal?: AbortSignal } = {}): Promise<void> {
    const storage = await this.load();
    throwIfAborted(options.signal);
    let exists: boolean;
    try {
      [exists] = await storage.bucket(this.options.bucket).exists();
    } catch (error) {
      throw this.mapError(error, 'check', undefined, options.signal);
    }
    if (!exists) {
      throw new DbrsError('STORAGE_FAILED', `GCS bucket "${this.options.bucket}" does not exist.`, {
        hint: 'Create the bucket (a retention policy makes backups immutable) or fix `gcsBucket`.',
      });
    }
  }

  protected async putObject(
    key: string,
    source: UploadSource,
    metadata: Record<string, string>,
    options: PutOptions,
  ): Promise<{ key: string; size: number }> {
    const count = progressCounter(options.onProgress);
    let size = 0;
    try {
      source.throwIfAborted();
      const file = await this.file(key);
      const sink = file.createWriteStream({
        resumable: true,
        validation: 'crc32c',
        metadata: { contentType: options.contentType ?? 'application/octet-stream', metadata },
        ...(this.options.chunkSize ? { chunkSize: this.options.chunkSize } : {}),
      });
      await writeAll(source.chunks(), sink, (delta) => {
        size += delta;
        count(delta);
      });
      source.throwIfAborted();
      return { key, size };
    } catch (error) {
      source.dispose(error);
      throw source.failure(error, (e) => this.mapError(e, 'upload', key));
    }
  }

  protected async getObject(key: string, options: GetOptions): Promise<Readable> {
    const storage = await this.load();
    let generation: string | number | undefined;
    try {
      // The read stream is lazy and would only fail once read; ask first so a
      // missing object rejects here, and pin the generation we saw.
      const [meta] = await untilAborted(
        storage
          .bucket(this.options.bucket)
          .file(this.root + key)
          .getMetadata(),
        options.signal,
        `download of "${key}"`,
      );
      generation = meta.generation;
    } catch (error) {
      throw this.mapError(error, 'download', key, options.signal);
    }
    const file = storage
      .bucket(this.options.bucket)
      .file(this.root + key, generation === undefined ? {} : { generation: Number(generation) });
    const { range } = options;
    const raw = file.createReadStream({
      // Whole-object reads are checked against the stored CRC32C; a range cannot be.
      validation: range ? false : 'crc32c',
      ...(range ? { start: range.start, ...(range.end === undefined ? {} : { end: range.end }) } : {}),
    });
    const out = new PassThrough();
    let responded = false;
    raw.once('response', () => {
      responded = true;
    });
    raw.on('error', (error) =>
      out.destroy(
        options.signal?.aborted ? abortError(options.signal, 'download') : this.mapError(error, 'download', key),
      ),
    );
    out.on('close', () => {
      if (raw.destroyed) return;
      // Destroying before the response arrives makes the SDK pipe into a
      // destroyed stream and throw; wait until its pipeline exists.
      if (responded) raw.destroy();
      else raw.once('response', () => setImmediate(() => raw.destroy()));
    });
    raw.pipe(out);
    watchIdle(out, this.options.downloadIdleTimeoutMs ?? 120_000, () =>
      out.destroy(
        new DbrsError(
          'STORAGE_FAILED',
          `GCS download of ${this.location}${key} stalled: no data for the idle timeout.`,
          {
            hint: 'The connection to GCS was lost; retry, and check the network or the endpoint.',
            details: { key, idleTimeoutMs: this.options.downloadIdleTimeoutMs ?? 120_000 },
          },
        ),
      ),
    );
    return destroyOnAbort(out, options.signal, `download of "${key}"`);
  }

  protected async headObject(key: string, options: { signal?: AbortSignal }): Promise<ObjectInfo | undefined> {
    const file = await this.file(key);
    try {
      const [meta] = await untilAborted(file.getMetadata(), options.signal, `head of "${key}"`);
      return toInfo(key, meta);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.mapError(error, 'head', key, options.signal);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    this.assertOpen();
    validatePrefix(prefix);
    const { signal } = options;
    throwIfAborted(signal, 'listing');
    const bucket = (await this.load()).bucket(this.options.bucket);
    let pageToken: string | undefined;
    do {
      throwIfAborted(signal, 'listing');
      let files: File[];
      let next: { pageToken?: string } | null | undefined;
      try {
        [files, next] = (await bucket.getFiles({
          prefix: this.root + prefix,
          autoPaginate: false,
          ...(options.pageSize ? { maxResults: options.pageSize } : {}),
          ...(pageToken ? { pageToken } : {}),
        })) as unknown as [File[], { pageToken?: string } | null];
      } catch (error) {
        throw this.mapError(error, 'list', prefix, signal);
      }
      for (const file of files) yield toInfo(file.name.slice(this.root.length), file.metadata);
      pageToken = next?.pageToken;
    } while (pageToken);
  }

  protected async deleteObject(key: string, options: { signal?: AbortSignal }): Promise<void> {
    const file = await this.file(key);
    try {
      await file.delete({ ignoreNotFound: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      throw this.mapError(error, 'delete', key, options.signal);
    }
  }

  private async file(key: string): Promise<File> {
    return (await this.load()).bucket(this.options.bucket).file(this.root + key);
  }

  private load(): Promise<Storage> {
    this.assertOpen();
    this.loaded ??= (async () => {
      if (this.options.storage) return this.options.storage;
      const sdk = await loadSdk<GcsModule>('@google-cloud/storage', {
        install: INSTALL,
        feature: 'The GCS storage adapter',
        importer: this.options.importModule,
      });
      const o = this.options;
      return new sdk.Storage({
        ...(o.projectId ? { projectId: o.projectId } : {}),
        ...(o.apiEndpoint ? { apiEndpoint: o.apiEndpoint } : {}),
        ...(o.keyFilename ? { keyFilename: o.keyFilename } : {}),
        ...(o.credentials ? { credentials: o.credentials } : {}),
        retryOptions: { autoRetry: true, maxRetries: o.maxRetries ?? 3 },
      });
    })();
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  private mapError(error: unknown, action: string, key: string | undefined, signal?: AbortSignal): Error {
    if (signal?.aborted) return abortError(signal, `GCS ${action}`);
    if (error instanceof DbrsError) return error;
    const status = statusOf(error);
    const code = (error as { code?: unknown })?.code;
    const where = key === undefined ? this.location : `${this.location}${key}`;
    // Not the SDK error as `cause`: gaxios errors carry the request, bearer token included.
    const details = { httpStatus: status, gcsError: typeof code === 'string' ? code : undefined, key };
    const message = redactString(((error as Error)?.message ?? String(error)).split('\n')[0] ?? '');
    if (code === 'FILE_NO_UPLOAD' || code === 'FILE_NO_UPLOAD_DELETE' || code === 'CONTENT_DOWNLOAD_MISMATCH') {
      return new DbrsError('INTEGRITY_FAILED', `GCS ${action} of ${where} failed its CRC32C check: ${message}`, {
        hint:
          action === 'upload'
            ? 'The bytes GCS stored differ from the bytes sent; the object was removed. Retry the backup.'
            : 'The stored object does not match its checksum; treat this backup as damaged.',
        details,
      });
    }
    if (status === 401 || status === 403) {
      return new DbrsError('STORAGE_AUTH_FAILED', `GCS refused to ${action} ${where} (${status}).`, {
        hint: AUTH_HINT,
        details,
      });
    }
    if (status === 404 && key !== undefined) {
      return new DbrsError('NOT_FOUND', `No object "${key}" in ${this.location}.`, { details });
    }
    if (status === 416) return new DbrsError('INVALID_ARGUMENT', `The byte range is outside ${where}.`, { details });
    return new DbrsError('STORAGE_FAILED', `GCS ${action} of ${where} failed: ${message}`, { details });
  }
}

function statusOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; status?: unknown; response?: { status?: unknown } } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.status === 'number') return e.status;
  return typeof e?.response?.status === 'number' ? e.response.status : undefined;
}

function toInfo(
  key: string,
  meta: { size?: string | number; updated?: string; timeCreated?: string; metadata?: Record<string, unknown> },
): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta.metadata ?? {})) {
    if (value !== null && value !== undefined) metadata[name] = String(value);
  }
  return {
    key,
    size: Number(meta.size ?? 0),
    lastModified: new Date(meta.updated ?? meta.timeCreated ?? 0),
    metadata,
  };
}

/**
 * Calls `onIdle` when `stream` delivers nothing for `ms` while its reader
 * wants data (a paused reader is backpressure, not a stall). Stops at close.
 */
function watchIdle(stream: PassThrough, ms: number, onIdle: () => void): void {
  let last = Date.now();
  stream.on('data', () => {
    last = Date.now();
  });
  const timer = setInterval(
    () => {
      if (stream.readableFlowing === false || stream.writableNeedDrain) last = Date.now();
      else if (Date.now() - last >= ms) onIdle();
    },
    Math.min(ms, 1_000),
  );
  timer.unref();
  stream.once('close', () => clearInterval(timer));
}
