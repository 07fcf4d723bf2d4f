import type { Readable } from 'node:stream';
import { DbrsError, throwIfAborted } from '@voicehive/db-core';
import { forEachConcurrently } from './for-each-concurrently.js';
import { validateKey, validateMetadata, validateRange } from './keys.js';
import type { GetOptions, ObjectInfo, PutOptions } from './types.js';
import { UploadSource } from './upload-source.js';

/** Deletes in flight at once where a backend has no usable bulk delete. */
const DELETE_CONCURRENCY = 8;

/**
 * What every adapter shares: the checks before each operation (open, key, metadata, range, abort), the upload
 * source's lifetime, disposal, and a `deleteMany` made of concurrent single deletes (overridden where the
 * backend has a real bulk delete). Adapters implement only the backend calls (`putObject`, `getObject`, …).
 */
export abstract class StorageBase implements AsyncDisposable {
  abstract readonly location: string;
  protected closed = false;

  protected abstract putObject(
    key: string,
    source: UploadSource,
    metadata: Record<string, string>,
    options: PutOptions,
  ): Promise<{ key: string; size: number }>;
  protected abstract getObject(key: string, options: GetOptions): Promise<Readable>;
  protected abstract headObject(key: string, options: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;
  protected abstract deleteObject(key: string, options: { signal?: AbortSignal }): Promise<void>;

  async put(
    key: string,
    body: Readable | Uint8Array,
    options: PutOptions = {},
  ): Promise<{ key: string; size: number }> {
    this.assertOpen();
    validateKey(key);
    const metadata = validateMetadata(options.metadata);
    const source = new UploadSource(body, options.signal, `upload of "${key}"`);
    try {
      return await this.putObject(key, source, metadata, options);
    } finally {
      source.dispose();
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    this.assertOpen();
    validateKey(key);
    validateRange(options.range);
    throwIfAborted(options.signal, `download of "${key}"`);
    return this.getObject(key, options);
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    this.assertOpen();
    validateKey(key);
    throwIfAborted(options.signal);
    return this.headObject(key, options);
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    validateKey(key);
    throwIfAborted(options.signal);
    return this.deleteObject(key, options);
  }

  async deleteMany(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    for (const key of keys) validateKey(key);
    await forEachConcurrently(keys, DELETE_CONCURRENCY, (key) => this.delete(key, options));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected assertOpen(): void {
    if (this.closed) throw new DbrsError('CLOSED', `${this.constructor.name} for ${this.location} is closed.`);
  }
}
