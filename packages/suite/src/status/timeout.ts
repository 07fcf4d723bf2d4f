import { DbrsError } from '@voicehive/db-core';

/**
 * Runs `fn` with a signal that aborts after `timeoutMs`, and rejects with
 * DbrsError('TIMEOUT') at the deadline even if `fn` ignores the signal, so
 * one hung component cannot hang whoever waits for it.
 */
export async function withTimeout<T>(
  what: string,
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const onOuter = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DbrsError('TIMEOUT', `${what} took longer than ${timeoutMs} ms.`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const running = fn(controller.signal);
    running.catch(() => {});
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}
