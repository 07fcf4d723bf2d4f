import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Counts bytes passing through and reports them (raw-side progress). */
export class ByteCounter extends Transform {
  bytes = 0;
  readonly #onBytes: ((bytes: number) => void) | undefined;

  constructor(onBytes?: (bytes: number) => void) {
    super({ highWaterMark: 1 << 18 });
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.#onBytes?.(this.bytes);
    cb(null, chunk);
  }
}

/** SHA-256 and byte count of everything passing through, computed on the fly. */
export class HashingCounter extends Transform {
  bytes = 0;
  readonly #hash: Hash = createHash('sha256');
  readonly #onBytes: ((bytes: number) => void) | undefined;
  #digest: string | undefined;

  constructor(onBytes?: (bytes: number) => void) {
    super({ highWaterMark: 1 << 18 });
    this.#onBytes = onBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.#onBytes?.(this.bytes);
    this.#hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.#digest = this.#hash.digest('hex');
    cb();
  }

  /** Hex digest; only after the stream finished. */
  get sha256(): string {
    if (this.#digest === undefined) this.#digest = this.#hash.digest('hex');
    return this.#digest;
  }
}
