import { DbrsError } from '@voicehive/db-core';
import pg from 'pg';
import type { OperationContext } from './context.js';

/**
 * Holds the global migration lock around `fn`. If the lock's session dies
 * (server restart, network), the signal handed to `fn` aborts: without the
 * lock another runner may start, so this one must stop.
 */
export async function withGlobalLock(
  ctx: OperationContext,
  signal: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  await ctx.lock.acquireOrThrow({ timeoutMs: ctx.opts.lockWaitTimeoutMs, ...(signal ? { signal } : {}) });
  // The first write creates the log tables; under the lock, so two first runs do not race.
  await ctx.storage.ensure(ctx.db).catch(async (err: unknown) => {
    await ctx.lock.release();
    throw err;
  });
  const lost = new AbortController();
  const onLost = (err: Error) =>
    lost.abort(
      new DbrsError('LOCK_NOT_ACQUIRED', 'The global migration lock was lost with its session; the run stopped.', {
        cause: err,
      }),
    );
  ctx.lock.on('lost', onLost);
  try {
    await fn(signal ? AbortSignal.any([signal, lost.signal]) : lost.signal);
  } finally {
    ctx.lock.off('lost', onLost);
    await ctx.lock.release();
  }
}

/** A dedicated connection for the migrating session (its own application_name, closed afterwards). */
export async function withMigrationClient<T>(ctx: OperationContext, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(ctx.db.clientConfig({ application_name: 'voicehive-dbrs-migrate' }));
  client.on('error', (err) => ctx.logger.warn({ event: 'migration_client_error', err }, 'migration connection error'));
  await client.connect();
  // PG14+: notice a vanished runner during a long statement instead of finishing it as a zombie holding locks.
  await client.query("SET client_connection_check_interval = '1s'").catch(() => {});
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}
