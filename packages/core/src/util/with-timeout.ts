import { abortError, DbrsError } from '../errors.js';

export interface WithTimeoutOptions {
  /** Named in the TIMEOUT error: "<what> took longer than <n> ms." */
  what: string;
  timeoutMs: number;
  /** The caller's signal: when it is (or already was) aborted, so is the work. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` with a signal that aborts at the deadline or with the caller's
 * signal, and rejects at that moment even if `fn` ignores its signal, so one
 * hung component cannot hang whoever waits for it. A caller whose signal is
 * already aborted gets ABORTED without `fn` starting (an earlier copy of this
 * helper listened for 'abort' only, which never fires on an aborted signal).
 */
export async function withTimeout<T>(options: WithTimeoutOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { what, timeoutMs, signal: outer } = options;
  if (outer?.aborted) throw abortError(outer, what);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onOuter: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DbrsError('TIMEOUT', `${what} took longer than ${timeoutMs} ms.`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
    onOuter = () => {
      const err = abortError(outer, what);
      controller.abort(err);
      reject(err);
    };
    outer?.addEventListener('abort', onOuter, { once: true });
  });
  try {
    const running = fn(controller.signal);
    running.catch(() => {});
    return await Promise.race([running, stopped]);
  } finally {
    clearTimeout(timer);
    if (onOuter) outer?.removeEventListener('abort', onOuter);
  }
}
