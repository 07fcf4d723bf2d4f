import { abortError, throwIfAborted } from '../errors.js';
import { Database, type Queryable } from './database.js';

export interface ServerVersion {
  /** server_version_num, e.g. 150018. */
  num: number;
  /** Major version, e.g. 15. */
  major: number;
  /** server_version text, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  text: string;
}

export interface GetServerVersionOptions {
  /**
   * Aborts the read with DbrsError('ABORTED'). On a core Database the query is
   * also cancelled on the server; a bare Queryable (pg.Pool, pg.Client) cannot
   * take a signal, so there the promise just rejects and the query is left to finish.
   */
  signal?: AbortSignal;
}

const SQL = "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text";

export async function getServerVersion(db: Queryable, options: GetServerVersionOptions = {}): Promise<ServerVersion> {
  const { signal } = options;
  throwIfAborted(signal, 'server version read');
  const res = await (db instanceof Database
    ? db.query<{ num: string; text: string }>(SQL, [], signal ? { signal } : {})
    : raceAbort(db.query<{ num: string; text: string }>(SQL), signal));
  const num = Number(res.rows[0]!.num);
  return { num, major: Math.floor(num / 10_000), text: res.rows[0]!.text };
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, 'server version read'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
