import { abortError, throwIfAborted } from '@voicehive/db-core';
import pg from 'pg';

export type PgClient = pg.Client;

/**
 * One short-lived connection. On abort the running statement is cancelled
 * from a second connection (pg has no client-side cancel), so a long data
 * load stops promptly instead of running to the end.
 */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  options: { signal?: AbortSignal; what?: string } = {},
): Promise<T> {
  const { signal, what = 'operation' } = options;
  throwIfAborted(signal, what);
  const client = new pg.Client({ connectionString: url });
  // A server stopped under an idle client must not crash the test process.
  client.on('error', () => {});
  await client.connect();
  let onAbort: (() => void) | undefined;
  try {
    if (signal) {
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      onAbort = () => {
        void cancelBackend(url, pid);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return await fn(client);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, what);
    throw error;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

async function cancelBackend(url: string, pid: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // the statement finished or the server is gone; nothing left to cancel
  } finally {
    await client.end().catch(() => {});
  }
}
