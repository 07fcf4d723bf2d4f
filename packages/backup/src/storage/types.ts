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
  close(): Promise<void>;
}
