import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { abortError, isDbrsError } from '@voicehive/db-core';

/**
 * The body of a `put`, watched so that an adapter can tell *why* an upload
 * failed: the caller aborted, the caller's own stream failed (rethrown
 * unchanged, since it is the caller's error, e.g. pg_dump dying), or the
 * backend failed (mapped to a DbrsError by the adapter).
 */
export class UploadSource {
  readonly stream: Readable;
  /** Set by a known-length body (a Uint8Array). */
  readonly knownLength: number | undefined;
  private sourceError: unknown;
  private failedBySource = false;
  private iterating = false;
  private readonly detachAbort: () => void;

  constructor(
    body: Readable | Uint8Array,
    private readonly signal: AbortSignal | undefined,
    private readonly what: string,
  ) {
    if (body instanceof Uint8Array) {
      this.knownLength = body.byteLength;
      // One chunk, not byte-by-byte: Readable.from() iterates a Buffer's bytes.
      this.stream = Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)], { objectMode: false });
    } else {
      this.knownLength = undefined;
      this.stream = body;
    }
    // Always listening, so an error after we stopped reading never goes unhandled.
    // While `chunks()` drives the stream, only errors that reach the reader count:
    // an async iterator destroys its stream with an AbortError when the
    // consumer stops early, and that must not be mistaken for the source failing.
    this.stream.on('error', (error) => {
      if (!this.iterating) this.recordSourceError(error);
    });
    const onAbort = () => this.stream.destroy(abortError(signal, what));
    if (signal && !signal.aborted) {
      signal.addEventListener('abort', onAbort, { once: true });
      this.detachAbort = () => signal.removeEventListener('abort', onAbort);
    } else {
      this.detachAbort = () => {};
    }
  }

  /** The body as Buffers. Use this (not `stream`) when the adapter reads the body itself. */
  async *chunks(): AsyncGenerator<Buffer> {
    this.iterating = true;
    const iterator = this.stream[Symbol.asyncIterator]() as AsyncIterator<unknown>;
    let done = false;
    try {
      while (true) {
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } catch (error) {
          done = true;
          this.recordSourceError(error);
          throw error;
        }
        if (next.done) {
          done = true;
          return;
        }
        const chunk = next.value;
        yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      }
    } finally {
      // The consumer stopped early (backend failure): stop the producer too.
      if (!done) await iterator.return?.().catch(() => undefined);
    }
  }

  private recordSourceError(error: unknown): void {
    if (!this.failedBySource) {
      this.failedBySource = true;
      this.sourceError = error;
    }
  }

  /** Throws DbrsError('ABORTED') when the signal has fired. */
  throwIfAborted(): void {
    if (this.signal?.aborted) throw abortError(this.signal, this.what);
  }

  /**
   * The error a failed upload should reject with. `mapBackend` turns an SDK
   * or file-system error into a DbrsError; it is not applied to aborts or to
   * errors raised by the caller's own stream.
   */
  failure(error: unknown, mapBackend: (error: unknown) => Error): Error {
    if (this.signal?.aborted) return abortError(this.signal, this.what);
    if (this.failedBySource && !isAbortReason(this.sourceError)) {
      return this.sourceError instanceof Error ? this.sourceError : new Error(String(this.sourceError));
    }
    if (isDbrsError(error)) return error;
    return mapBackend(error);
  }

  /** Stops reading and releases the abort listener. Safe to call more than once. */
  dispose(error?: unknown): void {
    this.detachAbort();
    if (error !== undefined && !this.stream.destroyed) this.stream.destroy();
  }
}

function isAbortReason(error: unknown): boolean {
  return isDbrsError(error, 'ABORTED');
}

/** Wraps an `onProgress` callback into a byte counter. */
export function progressCounter(onProgress: ((bytes: number) => void) | undefined): (delta: number) => number {
  let total = 0;
  return (delta: number) => {
    total += delta;
    onProgress?.(total);
    return total;
  };
}

/**
 * Writes every chunk of `source` to `sink`, honouring back-pressure, then ends
 * it and waits until it has finished. Pass `UploadSource.chunks()` as the
 * source, so that a sink failure is not mistaken for a source failure.
 */
export async function writeAll(
  source: AsyncIterable<unknown>,
  sink: Writable,
  count: (delta: number) => void,
): Promise<void> {
  let sinkError: unknown;
  // Never removed: the sink may still emit 'error' after we destroyed it.
  sink.on('error', (error: unknown) => {
    sinkError ??= error;
  });
  try {
    for await (const chunk of source) {
      if (sinkError !== undefined) throw sinkError;
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      count(buffer.length);
      if (!sink.write(buffer)) await once(sink, 'drain');
    }
    if (sinkError !== undefined) throw sinkError;
    sink.end();
    await finished(sink);
  } catch (error) {
    if (!sink.destroyed) sink.destroy(error instanceof Error ? error : undefined);
    throw sinkError ?? error;
  }
}
