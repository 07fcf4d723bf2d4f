import { abortError, DbrsError, throwIfAborted } from '../errors.js';

export interface LifecycleOptions<T> {
  /** What the owner is called in errors: "The backup manager is closed." */
  name: string;
  /**
   * Starts the resource. Runs once; when it fails the next call runs it again
   * (a database that was down at start-up must not poison the owner for good).
   */
  init(signal: AbortSignal | undefined): Promise<T>;
  /** Releases what init (or later work) acquired. Runs once, even when init never ran. */
  dispose?(): Promise<void>;
}

/**
 * The one lifecycle every resource owner shares (managers, the suite): an
 * `initialize({ signal })` that is optional, memoised and idempotent, methods
 * that initialise on first use, a `close()` that is safe to call twice, and
 * `CLOSED` for any use after it. Owners hold one of these instead of their
 * own `#initialized`/`#closed` flags, so the four managers cannot drift apart.
 */
export class Lifecycle<T = void> {
  readonly #options: LifecycleOptions<T>;
  #pending: Promise<T> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: LifecycleOptions<T>) {
    this.#options = options;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Throws `CLOSED` after close() was called. */
  assertOpen(): void {
    if (this.#closing) {
      throw new DbrsError('CLOSED', `The ${this.#options.name} is closed.`, {
        hint: 'Create a new instance; a closed one cannot be reopened.',
      });
    }
  }

  /**
   * Initialises once. Concurrent callers share one run; a caller's signal
   * stops only that caller's wait (the shared run belongs to whoever started
   * it and is aborted with that caller's signal).
   */
  initialize(options: { signal?: AbortSignal } = {}): Promise<T> {
    const { signal } = options;
    try {
      this.assertOpen();
      throwIfAborted(signal, `${this.#options.name} initialisation`);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.#pending) {
      const run = this.#options.init(signal);
      this.#pending = run;
      // Forget a failed or aborted run so the next call starts afresh; keep a successful one forever.
      const forget = () => {
        if (this.#pending === run) this.#pending = undefined;
      };
      run.catch(forget);
      signal?.addEventListener('abort', forget, { once: true });
      run.then(
        () => signal?.removeEventListener('abort', forget),
        () => {},
      );
    }
    return signal ? raceAbort(this.#pending, signal, this.#options.name) : this.#pending;
  }

  /**
   * assertOpen() + initialize(): the first line of every public method. `what` names the caller's operation
   * in the ABORTED error for a signal aborted before it started ("The migration run was aborted.").
   */
  ready(signal?: AbortSignal, what?: string): Promise<T> {
    if (what !== undefined && signal?.aborted && !this.closed) return Promise.reject(abortError(signal, what));
    return this.initialize({ signal });
  }

  /** Idempotent; waits for an initialisation in flight so nothing it opens outlives close(). */
  close(): Promise<void> {
    if (!this.#closing) {
      const pending = this.#pending;
      this.#closing = (async () => {
        if (pending) await pending.catch(() => {});
        await this.#options.dispose?.();
      })();
    }
    return this.#closing;
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal, name: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, `${name} initialisation`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, `${name} initialisation`));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
