import { DbrsError } from '@voicehive/db-core';
import { forEachConcurrently } from './for-each-concurrently.js';
import { validateKey } from './keys.js';

/** Deletes in flight at once where a backend has no usable bulk delete. */
const DELETE_CONCURRENCY = 8;

/**
 * What every adapter shares: refusing work once closed, disposal, and a
 * `deleteMany` made of concurrent single deletes (overridden where the
 * backend has a real bulk delete).
 */
export abstract class StorageBase implements AsyncDisposable {
  abstract readonly location: string;
  protected closed = false;

  abstract delete(key: string, options?: { signal?: AbortSignal }): Promise<void>;

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
