/**
 * Concurrent callers of the same key share one running computation instead
 * of starting their own. A burst of 200 `/status` requests then costs one
 * status (a handful of queries) rather than 200 of them queueing for the
 * pool and timing out together, which is what turned a PostgreSQL restart
 * under load into a wall of errors. Nothing is cached: a caller that arrives
 * after the computation settled starts a new one.
 */
export function singleFlight<T>(): (key: string, run: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<T>>();
  return (key, run) => {
    const existing = running.get(key);
    if (existing) return existing;
    const started = run().finally(() => running.delete(key));
    running.set(key, started);
    return started;
  };
}
