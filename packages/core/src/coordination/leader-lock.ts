import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Database } from '../database/database.js';
import { mapDatabaseError } from '../database/map-error.js';
import { abortError, DbrsError, throwIfAborted } from '../errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { advisoryLockKey } from './lock-key.js';

export interface LeaderLockOptions {
  /** What the lock protects; two locks with the same name on one server exclude each other. */
  name: string;
  /** Delay between `pg_try_advisory_lock` attempts while waiting, in ms. Default 250. */
  pollIntervalMs?: number;
  logger?: Logger;
  /**
   * Keep the lock's session open after release(), for the next acquire. Right for a lock taken on a
   * schedule (maintenance, sampling); a lock taken once in a while (a migration run) should not leave an
   * idle connection behind for the life of the process. Default true.
   */
  keepSession?: boolean;
}

export interface AcquireOptions {
  /** How long to keep trying, in ms. Default 0: one attempt. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A session-level advisory lock on a dedicated connection. Taken by polling
 * `pg_try_advisory_lock` with a deadline, never the blocking
 * `pg_advisory_lock`: a waiter in the lock queue holds a virtualxid that
 * CREATE INDEX CONCURRENTLY must wait for, which deadlocks migrations
 * (PostgreSQL docs, CREATE INDEX: "Building Indexes Concurrently" waits
 * for every transaction that could use the index, lock waiters included). The lock dies with the session, so a
 * crashed holder frees it; `lost` fires when the session goes away.
 */
export class LeaderLock extends EventEmitter<{ lost: [Error]; acquired: []; released: [] }> implements AsyncDisposable {
  readonly name: string;
  readonly key: string;
  readonly #db: Database<any>;
  readonly #pollMs: number;
  readonly #logger: Logger;
  #client: pg.Client | undefined;
  #held = false;
  #closed = false;
  readonly #keepSession: boolean;

  constructor(db: Database<any>, options: LeaderLockOptions) {
    super();
    if (!options.name) throw new DbrsError('INVALID_ARGUMENT', 'A leader lock needs a name.');
    this.#db = db;
    this.name = options.name;
    this.key = advisoryLockKey(options.name);
    this.#pollMs = options.pollIntervalMs ?? 250;
    this.#keepSession = options.keepSession ?? true;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'leader-lock', lock: options.name });
  }

  get held(): boolean {
    return this.#held;
  }

  /** Backend pid of the lock's session, for diagnostics and tests. */
  get backendPid(): number | undefined {
    return (this.#client as unknown as { processID?: number } | undefined)?.processID;
  }

  /** Resolves true once held, false when the deadline passes. Holding already → true. */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    if (this.#closed) throw new DbrsError('CLOSED', `Leader lock "${this.name}" is closed.`);
    if (this.#held) return true;
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    const client = await this.#connect();
    for (;;) {
      throwIfAborted(options.signal, `wait for lock "${this.name}"`);
      let got: boolean;
      try {
        const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
          this.key,
        ]);
        got = res.rows[0]!.locked;
      } catch (err) {
        await this.#dropClient();
        throw mapDatabaseError(err, this.#db.info, `lock "${this.name}"`);
      }
      if (got) {
        this.#held = true;
        this.#logger.debug({ event: 'lock_acquired' }, 'leader lock acquired');
        this.emit('acquired');
        return true;
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        await sleep(Math.min(this.#pollMs, left), undefined, { signal: options.signal });
      } catch {
        throw abortError(options.signal, `wait for lock "${this.name}"`);
      }
    }
  }

  /** Like acquire, but a missed deadline is a DbrsError('LOCK_NOT_ACQUIRED'). */
  async acquireOrThrow(options: AcquireOptions = {}): Promise<void> {
    if (!(await this.acquire(options))) {
      throw new DbrsError('LOCK_NOT_ACQUIRED', `Lock "${this.name}" is held by another session.`, {
        hint: 'Another instance is doing this work; wait for it or raise the timeout.',
        details: { lock: this.name },
      });
    }
  }

  async release(): Promise<void> {
    if (!this.#held || !this.#client) return;
    this.#held = false;
    if (this.#keepSession) await this.#unlock(this.#client);
    // Ending the session releases its advisory locks with it.
    else await this.#dropClient();
    this.emit('released');
  }

  async #unlock(client: pg.Client): Promise<void> {
    try {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]);
    } catch (err) {
      // The session is gone, and the lock with it.
      this.#logger.debug({ event: 'lock_release_failed', err }, 'unlock failed; session already gone');
      await this.#dropClient();
    }
  }

  /** Runs `fn` while holding the lock; resolves `{ ran: false }` if it could not be taken. */
  async runExclusive<T>(
    fn: () => Promise<T>,
    options: AcquireOptions = {},
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    if (!(await this.acquire(options))) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await this.release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.release();
    this.#closed = true;
    await this.#dropClient();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = new pg.Client(
      this.#db.clientConfig({ application_name: `voicehive-dbrs-lock:${this.name}`.slice(0, 63) }),
    );
    client.on('error', (err) => this.#onLost(err));
    client.on('end', () => this.#onLost(new Error('lock session ended')));
    try {
      await client.connect();
    } catch (err) {
      throw mapDatabaseError(err, this.#db.info, 'connect');
    }
    this.#client = client;
    return client;
  }

  #onLost(err: Error): void {
    const wasHeld = this.#held;
    this.#held = false;
    this.#client = undefined;
    if (wasHeld && !this.#closed) {
      this.#logger.warn({ event: 'lock_lost', err }, 'leader lock lost with its session');
      this.emit('lost', err);
    }
  }

  async #dropClient(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    if (client) await client.end().catch(() => {});
  }
}

export function createLeaderLock(db: Database<any>, options: LeaderLockOptions): LeaderLock {
  return new LeaderLock(db, options);
}
