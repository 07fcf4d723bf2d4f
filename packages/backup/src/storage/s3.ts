import type { Readable } from 'node:stream';
import type {
  _Error,
  ChecksumAlgorithm,
  CompletedPart,
  ListMultipartUploadsCommandOutput,
  ListObjectsV2CommandOutput,
  S3Client,
  S3ClientConfig,
} from '@aws-sdk/client-s3';
import { abortError, DbrsError, redactString, throwIfAborted } from '@voicehive/db-core';
import { downloadStream } from './download-stream.js';
import { normalizeRootPrefix, validateKey, validatePrefix } from './keys.js';
import { loadSdk, type ModuleImporter } from './load-sdk.js';
import { partSizeAt, partSizeFor, S3_MAX_PARTS } from './s3-part-size.js';
import { StorageBase } from './storage-base.js';
import type {
  AbandonedUpload,
  BackupStorage,
  GetOptions,
  ListOptions,
  ObjectInfo,
  PutOptions,
  SweepOptions,
} from './types.js';
import { progressCounter, type UploadSource } from './upload-source.js';

type S3Module = typeof import('@aws-sdk/client-s3');

const INSTALL = ['@aws-sdk/client-s3'] as const;
const DELETE_BATCH = 1000;
const MiB = 1024 * 1024;
const AUTH_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'CredentialsProviderError',
]);
const AUTH_HINT =
  'Check the access key id and secret (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the instance role), the region, and that the bucket policy allows s3:PutObject, s3:GetObject, s3:ListBucket and s3:DeleteObject.';

export interface S3StorageOptions {
  bucket: string;
  /** Default 'us-east-1'; with no region given, the client also follows region redirects. */
  region?: string;
  /** For S3-compatible stores (MinIO, Ceph, R2, s3rver): e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Folder inside the bucket that holds every key. Default '' (bucket root). */
  prefix?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true when `endpoint` is set, else false. */
  forcePathStyle?: boolean;
  /** Default: the SDK's provider chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A ready S3Client; the adapter then does not create (or destroy) its own. */
  client?: S3Client;
  /** Server-side encryption of every object. Default: none requested (the bucket's default applies). */
  serverSideEncryption?: 'AES256' | 'aws:kms';
  /** KMS key for `serverSideEncryption: 'aws:kms'`. Default: the AWS-managed key. */
  kmsKeyId?: string;
  /** Object Lock retention for every object written (bucket must have Object Lock enabled). Default: none. */
  objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainDays: number };
  /** SDK attempts per request (retries with exponential backoff and jitter, 'standard' mode). Default 3. */
  maxAttempts?: number;
  /**
   * Flexible checksums (`requestChecksumCalculation`/`responseChecksumValidation`).
   * Default 'WHEN_REQUIRED' when `endpoint` is set, because s3rver and other
   * stores silently store the aws-chunked framing of streamed checksums; else
   * the SDK default. Ignored with an injected `client`.
   */
  checksums?: 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
  /**
   * Checksum of every part sent to S3 and verified by it. Default 'CRC32' on
   * AWS (no `endpoint`) or with `objectLock` (which requires one), else none.
   */
  checksumAlgorithm?: ChecksumAlgorithm | false;
  /** Parts uploaded concurrently. Default 4. */
  queueSize?: number;
  /** Upper bound on bytes held in part buffers; lowers concurrency as parts grow. Default 64 MiB. */
  maxBufferedBytes?: number;
  /** How the SDK is imported; for tests and bundlers. Default `import()`. */
  importModule?: ModuleImporter;
}

interface Loaded {
  sdk: S3Module;
  client: S3Client;
}

/**
 * Amazon S3 and S3-compatible stores. Uploads use the adapter's own multipart
 * loop (see s3-part-size.ts for why, not lib-storage): objects smaller than
 * one part go in a single PutObject; larger ones in parts that grow so that
 * 10,000 parts are never exceeded. A failed or aborted multipart upload is
 * aborted, so no part lingers and nothing appears under the key.
 */
export class S3Storage extends StorageBase implements BackupStorage {
  readonly kind = 's3' as const;
  readonly location: string;
  private readonly bucket: string;
  private readonly root: string;
  private readonly options: S3StorageOptions;
  private loaded: Promise<Loaded> | undefined;

  constructor(options: S3StorageOptions) {
    super();
    if (typeof options?.bucket !== 'string' || options.bucket.trim() === '') {
      throw new DbrsError('CONFIG_INVALID', 'S3Storage needs a bucket name.', {
        hint: 'Set `s3Bucket` (BACKUP_S3_BUCKET).',
      });
    }
    if (options.objectLock) {
      const { mode, retainDays } = options.objectLock;
      if ((mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') || !(Number.isFinite(retainDays) && retainDays > 0)) {
        throw new DbrsError('CONFIG_INVALID', 'S3 objectLock needs mode GOVERNANCE or COMPLIANCE and retainDays > 0.');
      }
    }
    if (options.kmsKeyId && options.serverSideEncryption !== 'aws:kms') {
      throw new DbrsError('CONFIG_INVALID', 'S3 kmsKeyId is only used with serverSideEncryption: "aws:kms".');
    }
    this.options = options;
    this.bucket = options.bucket;
    this.root = normalizeRootPrefix(options.prefix);
    this.location = `s3://${this.bucket}/${this.root}`;
  }

  async ensure(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { sdk, client } = await this.load();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: options.signal });
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404 || errorName(error) === 'NoSuchBucket') {
        throw new DbrsError('STORAGE_FAILED', `S3 bucket "${this.bucket}" does not exist.`, {
          hint: 'Create the bucket (with versioning or Object Lock if you want immutable backups) or fix `s3Bucket`.',
          cause: error,
        });
      }
      throw this.mapError(error, 'check', undefined, options.signal);
    }
  }

  // Long: the multipart upload's whole life (create, parts with retries, complete) and its abort on any failure; split up, the abort path would be spread over several functions.
  protected async putObject(
    key: string,
    source: UploadSource,
    metadata: Record<string, string>,
    options: PutOptions,
  ): Promise<{ key: string; size: number }> {
    const objectKey = this.root + key;
    const count = progressCounter(options.onProgress);
    // Cancels in-flight parts as soon as one fails or the caller aborts.
    const inner = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, inner.signal]) : inner.signal;
    let uploadId: string | undefined;
    let loaded: Loaded | undefined;
    try {
      source.throwIfAborted();
      loaded = await this.load();
      const { sdk, client } = loaded;
      const common = this.writeParams(objectKey, metadata, options.contentType);
      const checksum = this.checksumAlgorithm();
      const base = partSizeFor(options.sizeHint);
      const queueSize = this.options.queueSize ?? 4;
      const maxBuffered = this.options.maxBufferedBytes ?? 64 * MiB;
      const parts: CompletedPart[] = [];
      const inflight = new Set<Promise<void>>();
      let failure: { error: unknown } | undefined;
      let partNumber = 1;
      let target = partSizeAt(1, base);
      let chunks: Buffer[] = [];
      let buffered = 0;
      let size = 0;

      const uploadPart = (data: Buffer, number: number, id: string) => {
        const task = client
          .send(
            new sdk.UploadPartCommand({
              Bucket: this.bucket,
              Key: objectKey,
              UploadId: id,
              PartNumber: number,
              Body: data,
              ContentLength: data.length,
              ...(checksum ? { ChecksumAlgorithm: checksum } : {}),
            }),
            { abortSignal: signal },
          )
          .then((out) => {
            parts.push({ PartNumber: number, ETag: out.ETag, ...checksumOf(out, checksum) });
            count(data.length);
          })
          .catch((error: unknown) => {
            failure ??= { error };
            inner.abort();
          })
          .finally(() => inflight.delete(task));
        inflight.add(task);
      };
      const drainTo = async (limit: number) => {
        while (inflight.size > limit) await Promise.race(inflight);
        if (failure) throw failure.error;
      };

      for await (const buffer of source.chunks()) {
        chunks.push(buffer);
        buffered += buffer.length;
        size += buffer.length;
        // Strictly greater: a body of exactly one part still goes as a single PutObject.
        while (buffered > target) {
          if (failure) throw failure.error;
          if (partNumber > S3_MAX_PARTS) {
            throw new DbrsError('STORAGE_FAILED', `Upload of ${objectKey} needs more than ${S3_MAX_PARTS} parts.`, {
              hint: 'Pass `sizeHint` with the expected size so larger parts are used from the start.',
            });
          }
          // A single large chunk (a Uint8Array body) is sliced, not copied again per part.
          const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
          const data = all.subarray(0, target);
          chunks = [all.subarray(target)];
          buffered -= target;
          if (uploadId === undefined) {
            const created = await client.send(
              new sdk.CreateMultipartUploadCommand({ ...common, ...(checksum ? { ChecksumAlgorithm: checksum } : {}) }),
              { abortSignal: signal },
            );
            uploadId = created.UploadId;
            if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
          }
          uploadPart(data, partNumber, uploadId);
          partNumber += 1;
          target = partSizeAt(partNumber, base);
          const concurrency = Math.max(1, Math.min(queueSize, Math.floor(maxBuffered / target)));
          await drainTo(concurrency - 1);
        }
      }
      source.throwIfAborted();

      if (uploadId === undefined) {
        const data = Buffer.concat(chunks, buffered);
        await client.send(
          new sdk.PutObjectCommand({
            ...common,
            Body: data,
            ContentLength: data.length,
            ...(checksum ? { ChecksumAlgorithm: checksum } : {}),
          }),
          { abortSignal: signal },
        );
        count(data.length);
        return { key, size };
      }
      if (buffered > 0) uploadPart(Buffer.concat(chunks, buffered), partNumber, uploadId);
      chunks = [];
      await drainTo(0);
      source.throwIfAborted();
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await client.send(
        new sdk.CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: objectKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
        { abortSignal: signal },
      );
      return { key, size };
    } catch (error) {
      inner.abort();
      source.dispose(error);
      const abortConfirmed =
        uploadId !== undefined && loaded ? await this.abortMultipart(loaded, objectKey, uploadId) : true;
      // Without a confirmed abort, keep the id so an operator (or a lifecycle rule) can reap the parts.
      const extra = abortConfirmed ? {} : { multipartUploadId: uploadId };
      throw source.failure(error, (e) => this.mapError(e, 'upload', key, undefined, extra));
    }
  }

  protected async getObject(key: string, options: GetOptions): Promise<Readable> {
    const { sdk, client } = await this.load();
    const range = options.range ? `bytes=${options.range.start}-${options.range.end ?? ''}` : undefined;
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.root + key, ...(range ? { Range: range } : {}) }),
        { abortSignal: options.signal },
      );
      return downloadStream(out.Body as Readable, options.signal, `download of "${key}"`, (e) =>
        this.mapError(e, 'download', key),
      );
    } catch (error) {
      throw this.mapError(error, 'download', key, options.signal);
    }
  }

  protected async headObject(key: string, options: { signal?: AbortSignal }): Promise<ObjectInfo | undefined> {
    const { sdk, client } = await this.load();
    try {
      const out = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.root + key }), {
        abortSignal: options.signal,
      });
      return {
        key,
        size: out.ContentLength ?? 0,
        lastModified: out.LastModified ?? new Date(0),
        metadata: { ...(out.Metadata ?? {}) },
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.mapError(error, 'head', key, options.signal);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    this.assertOpen();
    validatePrefix(prefix);
    const { signal } = options;
    throwIfAborted(signal, 'listing');
    const { sdk, client } = await this.load();
    let token: string | undefined;
    do {
      throwIfAborted(signal, 'listing');
      let page: ListObjectsV2CommandOutput;
      try {
        page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.root + prefix,
            ContinuationToken: token,
            ...(options.pageSize ? { MaxKeys: options.pageSize } : {}),
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw this.mapError(error, 'list', prefix, signal);
      }
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        const key = item.Key.slice(this.root.length);
        if (options.includeMetadata) {
          const info = await this.head(key, { signal });
          if (info) yield info;
          continue;
        }
        yield { key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0), metadata: {} };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Aborts multipart uploads under the prefix that were initiated before
   * `olderThan`: a process killed mid-upload never sent its own abort, and
   * S3 keeps (and bills) the parts until someone does. A bucket lifecycle
   * rule (AbortIncompleteMultipartUpload) does the same on the server side
   * and is recommended as well. Stores without ListMultipartUploads (s3rver)
   * reject with UNSUPPORTED.
   */
  async sweepAbandoned(options: SweepOptions): Promise<AbandonedUpload[]> {
    this.assertOpen();
    const { sdk, client } = await this.load();
    const found: Array<AbandonedUpload & { objectKey: string; uploadId: string }> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      throwIfAborted(options.signal, 'cleanup');
      let page: ListMultipartUploadsCommandOutput;
      try {
        page = await client.send(
          new sdk.ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.root,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
          { abortSignal: options.signal },
        );
      } catch (error) {
        if (isUnsupported(error)) {
          throw new DbrsError(
            'UNSUPPORTED',
            `${this.location} does not list multipart uploads (ListMultipartUploads).`,
            {
              hint: 'Add a bucket lifecycle rule AbortIncompleteMultipartUpload (e.g. DaysAfterInitiation: 2) to reap abandoned uploads.',
              cause: error,
            },
          );
        }
        throw this.mapError(error, 'list multipart uploads of', undefined, options.signal);
      }
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId || !u.Initiated || u.Initiated >= options.olderThan) continue;
        found.push({
          key: u.Key.slice(this.root.length),
          startedAt: u.Initiated,
          objectKey: u.Key,
          uploadId: u.UploadId,
        });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    if (!options.dryRun) {
      for (const f of found) {
        throwIfAborted(options.signal, 'cleanup');
        try {
          await client.send(
            new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: f.objectKey, UploadId: f.uploadId }),
            { abortSignal: options.signal },
          );
        } catch (error) {
          // Completed or aborted meanwhile: gone either way.
          if (errorName(error) !== 'NoSuchUpload') throw this.mapError(error, 'abort upload of', f.key, options.signal);
        }
      }
    }
    return found.map(({ key, startedAt }) => ({ key, startedAt }));
  }

  protected async deleteObject(key: string, options: { signal?: AbortSignal }): Promise<void> {
    const { sdk, client } = await this.load();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.root + key }), {
        abortSignal: options.signal,
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.mapError(error, 'delete', key, options.signal);
    }
  }

  override async deleteMany(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    for (const key of keys) validateKey(key);
    if (keys.length === 0) return;
    const { sdk, client } = await this.load();
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      throwIfAborted(options.signal);
      const batch = keys.slice(i, i + DELETE_BATCH);
      let errors: _Error[];
      try {
        const out = await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.root + key })), Quiet: true },
          }),
          { abortSignal: options.signal },
        );
        errors = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      } catch (error) {
        throw this.mapError(error, 'delete', batch[0], options.signal);
      }
      if (errors.length > 0) {
        const first = errors[0]!;
        const code = first.Code && AUTH_ERRORS.has(first.Code) ? 'STORAGE_AUTH_FAILED' : 'STORAGE_FAILED';
        throw new DbrsError(
          code,
          `S3 could not delete ${errors.length} of ${batch.length} objects in ${this.location}, first ${first.Key}: ${first.Code}.`,
          {
            ...(code === 'STORAGE_AUTH_FAILED' ? { hint: AUTH_HINT } : {}),
            details: { failed: errors.slice(0, 20).map((e) => ({ key: e.Key, code: e.Code })) },
          },
        );
      }
    }
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.client || !this.loaded) return;
    try {
      (await this.loaded).client.destroy();
    } catch {
      // Loading failed: there is no client to destroy.
    }
  }

  private load(): Promise<Loaded> {
    this.assertOpen();
    this.loaded ??= (async () => {
      const sdk = await loadSdk<S3Module>('@aws-sdk/client-s3', {
        install: INSTALL,
        feature: 'The S3 storage adapter',
        importer: this.options.importModule,
      });
      return { sdk, client: this.options.client ?? new sdk.S3Client(this.clientConfig()) };
    })();
    // A failed load (missing SDK) is retried on the next call rather than cached forever.
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }

  private clientConfig(): S3ClientConfig {
    const o = this.options;
    const checksums = o.checksums ?? (o.endpoint ? 'WHEN_REQUIRED' : undefined);
    return {
      region: o.region ?? 'us-east-1',
      ...(o.region ? {} : { followRegionRedirects: true }),
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      forcePathStyle: o.forcePathStyle ?? o.endpoint !== undefined,
      ...(o.credentials ? { credentials: o.credentials } : {}),
      maxAttempts: o.maxAttempts ?? 3,
      retryMode: 'standard',
      ...(checksums ? { requestChecksumCalculation: checksums, responseChecksumValidation: checksums } : {}),
    };
  }

  private checksumAlgorithm(): ChecksumAlgorithm | undefined {
    const configured = this.options.checksumAlgorithm;
    if (configured === false) return this.options.objectLock ? 'CRC32' : undefined;
    if (configured) return configured;
    return this.options.endpoint === undefined || this.options.objectLock ? 'CRC32' : undefined;
  }

  private writeParams(objectKey: string, metadata: Record<string, string>, contentType: string | undefined) {
    const o = this.options;
    return {
      Bucket: this.bucket,
      Key: objectKey,
      Metadata: metadata,
      ContentType: contentType ?? 'application/octet-stream',
      ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption } : {}),
      ...(o.kmsKeyId ? { SSEKMSKeyId: o.kmsKeyId } : {}),
      ...(o.objectLock
        ? {
            ObjectLockMode: o.objectLock.mode,
            ObjectLockRetainUntilDate: new Date(Date.now() + o.objectLock.retainDays * 86_400_000),
          }
        : {}),
    };
  }

  /** Best effort: the upload already failed; returns whether S3 confirmed the abort. */
  private async abortMultipart({ sdk, client }: Loaded, objectKey: string, uploadId: string): Promise<boolean> {
    try {
      await client.send(
        new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }),
      );
      return true;
    } catch {
      // Stores without AbortMultipartUpload (s3rver) or a dead network: the
      // parts are invisible and a bucket lifecycle rule should reap them.
      return false;
    }
  }

  private mapError(
    error: unknown,
    action: string,
    key: string | undefined,
    signal?: AbortSignal,
    extra: Record<string, unknown> = {},
  ): Error {
    if (signal?.aborted) return abortError(signal, `S3 ${action}`);
    if (error instanceof DbrsError) return error;
    const name = errorName(error);
    const status = httpStatus(error);
    const where = key === undefined ? this.location : `${this.location}${key}`;
    const details = {
      bucket: this.bucket,
      key,
      s3Error: name,
      httpStatus: status,
      requestId: requestId(error),
      ...extra,
    };
    const message = redactString((error as Error)?.message ?? String(error));
    if (name === 'AbortError')
      return new DbrsError('ABORTED', `S3 ${action} of ${where} was aborted.`, { cause: error });
    if ((name && AUTH_ERRORS.has(name)) || status === 401 || status === 403) {
      const reason = name && name !== 'Unknown' ? `${name} (HTTP ${status ?? '?'})` : `HTTP ${status ?? '?'}`;
      return new DbrsError('STORAGE_AUTH_FAILED', `S3 refused the ${action} of ${where}: ${reason}.`, {
        hint: AUTH_HINT,
        details,
      });
    }
    if (isNotFound(error) && key !== undefined && name !== 'NoSuchBucket') {
      return new DbrsError('NOT_FOUND', `No object "${key}" in ${this.location}.`, { details });
    }
    if (name === 'NoSuchBucket') {
      return new DbrsError('STORAGE_FAILED', `S3 bucket "${this.bucket}" does not exist.`, {
        hint: 'Create the bucket or fix `s3Bucket` (BACKUP_S3_BUCKET).',
        details,
      });
    }
    if (name === 'InvalidRange' || status === 416) {
      return new DbrsError('INVALID_ARGUMENT', `The byte range is outside ${where}.`, { details });
    }
    return new DbrsError('STORAGE_FAILED', `S3 ${action} of ${where} failed: ${name ?? 'error'}: ${message}`, {
      cause: error,
      details,
    });
  }
}

function errorName(error: unknown): string | undefined {
  const e = error as { name?: unknown; Code?: unknown } | undefined;
  if (typeof e?.Code === 'string') return e.Code;
  return typeof e?.name === 'string' ? e.name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function requestId(error: unknown): string | undefined {
  return (error as { $metadata?: { requestId?: string } } | undefined)?.$metadata?.requestId;
}

/** The store does not implement the call (s3rver answers ListMultipartUploads this way). */
function isUnsupported(error: unknown): boolean {
  const status = httpStatus(error);
  return errorName(error) === 'NotImplemented' || status === 501 || status === 405;
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NotFound' || name === 'NoSuchKey' || httpStatus(error) === 404;
}

function checksumOf(
  out: {
    ChecksumCRC32?: string;
    ChecksumCRC32C?: string;
    ChecksumSHA1?: string;
    ChecksumSHA256?: string;
    ChecksumCRC64NVME?: string;
  },
  algorithm: ChecksumAlgorithm | undefined,
): Partial<CompletedPart> {
  switch (algorithm) {
    case 'CRC32':
      return { ChecksumCRC32: out.ChecksumCRC32 };
    case 'CRC32C':
      return { ChecksumCRC32C: out.ChecksumCRC32C };
    case 'SHA1':
      return { ChecksumSHA1: out.ChecksumSHA1 };
    case 'SHA256':
      return { ChecksumSHA256: out.ChecksumSHA256 };
    case 'CRC64NVME':
      return { ChecksumCRC64NVME: out.ChecksumCRC64NVME };
    default:
      return {};
  }
}
