import { startPostgres } from './start-postgres.js';
import type { PostgresServer, StartPostgresOptions } from './types.js';

let shared: Promise<PostgresServer> | undefined;

/**
 * One server for the whole process, started on first use. Vitest runs each
 * test file in its own process, so this is one server per test file without
 * every suite having to stop it. The returned stop() does nothing because
 * other suites in the process may still use it; the server goes away when
 * the process exits. Options apply only to the first call.
 */
export function getSharedPostgres(options?: StartPostgresOptions): Promise<PostgresServer> {
  if (!shared) {
    const starting = startPostgres(options).then((server) => {
      const stop = async (): Promise<void> => {};
      return { ...server, stop, [Symbol.asyncDispose]: stop };
    });
    starting.catch(() => {
      if (shared === starting) shared = undefined;
    });
    shared = starting;
  }
  return shared;
}
