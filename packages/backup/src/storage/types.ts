import type { Readable } from 'node:stream';

/** What a storage backend knows about one stored object. */
export interface ObjectInfo {
  /** Key relative to the adapter's prefix. */
  key: string;
  size: number;
  lastModified: Date;
  /** User metadata stored with the object (string values only, as every cloud allows). */
  metadata: Record<string, string>;
}

export interface PutOptions {
  metadata?: Record<string, string>;
  contentType?: string;
  signal?: AbortSignal;
  /** Called as bytes are accepted by the backend. */
  onProgress?: (bytesWritten: number) => void;
  /**
   * Expected size in bytes, when known. Optional: uploads of unknown length
   * always work; S3 uses it to start with larger parts for objects beyond
   * ~8 TiB (see partSizeFor).
   */
  sizeHint?: number;
}

export interface GetOptions {
  /** Inclusive byte range; `end` omitted reads to the end. */
  range?: { start: number; end?: number };
  signal?: AbortSignal;
}

export interface ListOptions {
  signal?: AbortSignal;
  /** Page size asked of the backend; iteration always covers every page. */
  pageSize?: number;
  /**
   * S3's listing carries no user metadata, so S3 returns `metadata: {}` in
   * list results unless this is true (then it issues one HEAD per object).
   * Other backends always include metadata. Default false.
   */
  includeMetadata?: boolean;
}

/** An upload a killed process never finished: invisible to `list`, still holding space. */
export interface AbandonedUpload {
  /** The key it was meant for, or the temporary path relative to the storage root (local). */
  key: string;
  startedAt: Date;
  /** Bytes it holds, where the backend says (local files); undefined for S3 multipart uploads. */
  bytes?: number;
}

export interface SweepOptions {
  /** Only uploads started before this moment (the grace period protects running backups). */
  olderThan: Date;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/**
 * The one interface every backup storage implements (local, s3, azure, gcs).
 * A `put` of a stream of unknown length either stores the whole object under
 * `key` or leaves nothing visible under it: never a half-written object.
 * Deleting a missing key is not an error. When `put`'s own source stream
 * fails, `put` rejects with that same error (it is the caller's, e.g. pg_dump
 * dying); backend failures are DbrsError('STORAGE_FAILED' |
 * 'STORAGE_AUTH_FAILED'), aborts DbrsError('ABORTED'), a missing object on
 * `get` DbrsError('NOT_FOUND'), a bad key DbrsError('INVALID_ARGUMENT').
 * Metadata names must be lowercase identifiers ([a-z][a-z0-9_]*) and values
 * printable ASCII, at most 2 KiB in all. Every adapter passes the shared
 * contract suite in test/storage-contract.ts.
 */
export interface BackupStorage extends AsyncDisposable {
  readonly kind: 'local' | 's3' | 'azure' | 'gcs';
  /** Where objects go, without secrets: `s3://bucket/prefix`, `/var/backups`. */
  readonly location: string;
  put(key: string, body: Readable | Uint8Array, options?: PutOptions): Promise<{ key: string; size: number }>;
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** undefined when the object does not exist. */
  head(key: string, options?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, across all pages, in key order where the backend gives it. */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  delete(key: string, options?: { signal?: AbortSignal }): Promise<void>;
  deleteMany(keys: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Checks that the target exists and the credentials work (creating the local
   * directory or the Azure container when missing). Optional: every adapter
   * here implements it; call it from `initialize()` to fail fast.
   */
  ensure?(options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Removes what killed uploads left behind, started before `olderThan`:
   * local temporary files and orphan metadata sidecars, S3 multipart uploads
   * (ListMultipartUploads + AbortMultipartUpload). Optional: Azure
   * uncommitted blocks and GCS resumable sessions expire by themselves (7
   * days / one week) and cannot be removed sooner through their APIs. Rejects
   * with UNSUPPORTED when the backend lacks the listing (e.g. s3rver).
   */
  sweepAbandoned?(options: SweepOptions): Promise<AbandonedUpload[]>;
  close(): Promise<void>;
}
