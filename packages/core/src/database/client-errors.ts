import type pg from 'pg';
import type { Logger } from '../observability/logger.js';

const GUARDED = Symbol.for('voicehive.dbrs.clientErrorGuard');

/**
 * pg-pool listens for 'error' on a client only while it sits idle in the
 * pool: it takes its listener off at checkout and puts it back at release.
 * A server that goes away while a client is checked out (a fast shutdown, a
 * terminated backend, a dropped network) makes the client emit 'error' with
 * nobody listening, and Node turns that into an uncaught exception that ends
 * the process. The failure itself always reaches the caller through the
 * rejected query, and the pool drops a client that is no longer queryable at
 * release, so this listener only has to exist; it stays for the client's
 * whole life. It is attached when the pool connects a client and again
 * (idempotently) at every checkout, which covers pools created elsewhere
 * whose clients were connected before we saw them.
 */
export function guardPoolClients(pool: pg.Pool, logger: Logger): void {
  const guard = (client: pg.PoolClient): void => guardClient(client, logger);
  pool.on('connect', guard);
  pool.on('acquire', guard);
  // pg-pool re-emits an idle client's error on the pool itself; a pool handed in
  // from outside may have no listener there, which would end the process too.
  if (pool.listenerCount('error') === 0) {
    pool.on('error', (err) => logger.debug({ event: 'idle_connection_lost', err }, 'idle database connection lost'));
  }
}

/** Gives one client a permanent 'error' listener (once). */
export function guardClient(client: pg.ClientBase, logger: Logger): void {
  const marked = client as unknown as Record<symbol, boolean>;
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  client.on('error', (err) => logger.debug({ event: 'client_connection_lost', err }, 'database connection lost'));
}
