import { abortError } from '@voicehive/db-core';

/**
 * Settles like `work`, or rejects with DbrsError('ABORTED') as soon as
 * `signal` aborts: for SDK calls that take no AbortSignal (GCS getMetadata
 * passes its options into the query string). The request itself runs on
 * until it ends; its outcome is then ignored.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(abortError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
