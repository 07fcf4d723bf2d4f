import { DbrsError } from '@voicehive/db-core';
import { addressKey } from './client-address.js';

export interface AuthRateLimitOptions {
  /** Failed attempts from one address within `windowMs` that start a lockout. Default 5. */
  maxFailures?: number;
  /**
   * Window failures are counted in, in ms; also how long an address's
   * lockout level is remembered after its last lockout ends. Default 15 minutes.
   */
  windowMs?: number;
  /** First lockout, in ms; each further lockout in a row doubles it. Default 1 minute. */
  lockoutMs?: number;
  /** Longest lockout, in ms. Default 1 hour. */
  maxLockoutMs?: number;
  /**
   * Addresses tracked at once; beyond it the least recently seen one is
   * forgotten, so a flood of addresses costs bounded memory (a few hundred
   * bytes each). Default 10,000.
   */
  maxTrackedAddresses?: number;
  /** Clock in ms since the epoch; tests inject one. Default `Date.now`. */
  now?: () => number;
}

export const AUTH_RATE_LIMIT_DEFAULTS = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockoutMs: 60_000,
  maxLockoutMs: 3_600_000,
  maxTrackedAddresses: 10_000,
} as const;

export interface FailureResult {
  /** Lockout this failure started, in ms; 0 when the address may still try. */
  lockedForMs: number;
  /** Lockouts in a row for this address, this one included. */
  level: number;
}

interface Entry {
  /** Times of recent failures, oldest first; never longer than `maxFailures`. */
  failures: number[];
  level: number;
  lockedUntil: number;
}

/**
 * Counts failed key checks per client address and locks an address out
 * after too many, for a time that doubles with each lockout in a row up to
 * a cap. Only failures create entries and the map is an LRU with a size
 * cap, so neither ordinary traffic nor a flood of addresses can grow it
 * without bound. In memory and per process: replicas each count on their
 * own, and a restart forgets everything.
 */
export class AuthRateLimiter {
  readonly #entries = new Map<string, Entry>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #lockoutMs: number;
  readonly #maxLockoutMs: number;
  readonly #maxTracked: number;
  readonly #now: () => number;
  /** Called when the cap forces an address out; the handler counts it in a metric. */
  onEvict?: () => void;

  constructor(options: AuthRateLimitOptions = {}) {
    const d = AUTH_RATE_LIMIT_DEFAULTS;
    this.#maxFailures = positiveInt('maxFailures', options.maxFailures ?? d.maxFailures);
    this.#windowMs = positiveInt('windowMs', options.windowMs ?? d.windowMs);
    this.#lockoutMs = positiveInt('lockoutMs', options.lockoutMs ?? d.lockoutMs);
    this.#maxLockoutMs = positiveInt('maxLockoutMs', options.maxLockoutMs ?? d.maxLockoutMs);
    this.#maxTracked = positiveInt('maxTrackedAddresses', options.maxTrackedAddresses ?? d.maxTrackedAddresses);
    if (this.#maxLockoutMs < this.#lockoutMs) {
      throw new DbrsError(
        'CONFIG_INVALID',
        `authRateLimit.maxLockoutMs (${this.#maxLockoutMs}) is shorter than lockoutMs (${this.#lockoutMs}).`,
        { hint: 'Set maxLockoutMs to at least lockoutMs.' },
      );
    }
    this.#now = options.now ?? Date.now;
  }

  /** Addresses currently tracked (never more than `maxTrackedAddresses`). */
  get size(): number {
    return this.#entries.size;
  }

  /** How long the address must still wait, in ms; 0 when it may try. */
  lockedFor(address: string): number {
    const key = addressKey(address);
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    const now = this.#now();
    const left = entry.lockedUntil - now;
    if (left > 0) {
      // An address still knocking stays at the fresh end, so the cap evicts quiet ones first.
      this.#touch(key, entry);
      return left;
    }
    if (this.#isForgotten(entry, now)) this.#entries.delete(key);
    return 0;
  }

  recordFailure(address: string): FailureResult {
    const key = addressKey(address);
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (!entry || this.#isForgotten(entry, now)) entry = { failures: [], level: 0, lockedUntil: 0 };
    entry.failures = entry.failures.filter((t) => t > now - this.#windowMs);
    entry.failures.push(now);
    let lockedForMs = 0;
    if (entry.failures.length >= this.#maxFailures) {
      entry.level = Math.min(entry.level + 1, 32);
      lockedForMs = Math.min(this.#maxLockoutMs, this.#lockoutMs * 2 ** (entry.level - 1));
      entry.lockedUntil = now + lockedForMs;
      entry.failures = [];
    }
    this.#touch(key, entry);
    return { lockedForMs, level: entry.level };
  }

  /** A correct key or sign-in: the address starts from a clean slate. */
  recordSuccess(address: string): void {
    this.#entries.delete(addressKey(address));
  }

  /** Nothing left to remember: no lockout running, none recent enough to escalate, no failure in the window. */
  #isForgotten(entry: Entry, now: number): boolean {
    return entry.lockedUntil + this.#windowMs <= now && entry.failures.every((t) => t <= now - this.#windowMs);
  }

  #touch(key: string, entry: Entry): void {
    // Map keeps insertion order: re-inserting moves the key to the most recent end.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxTracked) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.onEvict?.();
    }
  }
}

/** "3 minutes": a lockout rounded up to whole minutes, for people. */
export function describeWait(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DbrsError(
      'CONFIG_INVALID',
      `authRateLimit.${name} must be a positive integer, got ${typeof value === 'number' ? value : typeof value}.`,
      {
        hint: `Leave it out for the default (${AUTH_RATE_LIMIT_DEFAULTS[name as keyof typeof AUTH_RATE_LIMIT_DEFAULTS]}).`,
      },
    );
  }
  return value;
}
