import { PassThrough, type Readable } from 'node:stream';
import { abortError } from '@voicehive/db-core';

/**
 * Destroys `stream` with DbrsError('ABORTED') when `signal` fires, so that a
 * reader of a `get` stream sees the same error code as every other aborted
 * operation. The listener is removed when the stream closes.
 */
export function destroyOnAbort<T extends Readable>(stream: T, signal: AbortSignal | undefined, what: string): T {
  if (!signal) return stream;
  if (signal.aborted) {
    stream.destroy(abortError(signal, what));
    return stream;
  }
  const onAbort = () => stream.destroy(abortError(signal, what));
  signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
  return stream;
}

/**
 * The stream a `get` returns: errors of the SDK's body become DbrsErrors
 * (ABORTED when the caller's signal fired, whatever the SDK called it), and
 * destroying the returned stream releases the SDK's.
 */
export function downloadStream(
  raw: Readable,
  signal: AbortSignal | undefined,
  what: string,
  mapError: (error: unknown) => Error,
): Readable {
  const out = new PassThrough();
  raw.on('error', (error) => out.destroy(signal?.aborted ? abortError(signal, what) : mapError(error)));
  out.on('close', () => {
    if (!raw.destroyed) raw.destroy();
  });
  raw.pipe(out);
  return destroyOnAbort(out, signal, what);
}
