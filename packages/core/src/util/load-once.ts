/**
 * A loader that runs `load` once and hands every caller the same promise,
 * except after a failure: a failed load (an unreadable WASM file, a module
 * not installed) is forgotten, so the next call tries again instead of
 * failing for the life of the process.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
