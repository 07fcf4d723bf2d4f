import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DbrsError } from '@voicehive/db-core';

/** `viewer` may read the status; `operator` may also trigger actions from the page. */
export type Role = 'viewer' | 'operator';

export interface RoleKeys {
  viewer?: string | string[];
  operator?: string | string[];
}

interface KeyDigest {
  digest: Buffer;
  role: Role;
}

interface Session {
  role: Role;
  expiresAt: number;
  /** Digest of the key that signed in: the session ends when that key is no longer configured. */
  key: Buffer;
}

export const SESSION_COOKIE = 'dbrs_session';

/** Sessions held at once; the oldest is signed out beyond this (a flood of sign-ins cannot grow memory). */
const MAX_SESSIONS = 10_000;

/**
 * API keys held as SHA-256 digests and compared with `timingSafeEqual`:
 * hashing first makes every comparison the same length, so neither the
 * key's content nor its length leaks through timing. Every configured key is
 * compared (no early exit) for the same reason.
 *
 * Page sessions are kept on the server: the cookie carries a random id
 * (signed, so a forged one is refused without a lookup), and the server
 * holds what it grants. Signing out deletes the entry, so the old cookie is
 * worthless at once; replacing the keys (setKeys) ends every session that
 * was opened with a key that is no longer configured.
 */
export class ApiKeyAuth {
  #keys: KeyDigest[] = [];
  readonly #sessionSecret = randomBytes(32);
  readonly #sessionTtlMs: number;
  /** Live sessions by id, oldest first (Map keeps insertion order). */
  readonly #sessions = new Map<string, Session>();

  constructor(options: { apiKey?: string; roles?: RoleKeys; sessionTtlMs?: number }) {
    this.setKeys(options);
    this.#sessionTtlMs = options.sessionTtlMs ?? 8 * 3600_000;
  }

  /**
   * Replaces the configured keys (key rotation). Sessions opened with a key
   * that is not among the new ones end now; header requests with an old key
   * are refused from now on.
   */
  setKeys(options: { apiKey?: string; roles?: RoleKeys }): void {
    const keys: KeyDigest[] = [];
    const add = (key: string | undefined, role: Role) => {
      if (key === undefined) return;
      if (typeof key !== 'string' || key.length < 16) {
        throw new DbrsError('CONFIG_INVALID', `An API key for role ${role} is shorter than 16 characters.`, {
          hint: 'Use a long random key, e.g. `openssl rand -hex 32`.',
        });
      }
      keys.push({ digest: sha256(key), role });
    };
    add(options.apiKey, 'operator');
    for (const k of asArray(options.roles?.operator)) add(k, 'operator');
    for (const k of asArray(options.roles?.viewer)) add(k, 'viewer');
    this.#keys = keys;
    for (const [id, session] of this.#sessions) {
      if (this.#roleForDigest(session.key) !== session.role) this.#sessions.delete(id);
    }
  }

  /** False when no key is configured: then reads are open and actions are refused. */
  get enabled(): boolean {
    return this.#keys.length > 0;
  }

  /** Page sessions currently signed in (for tests and diagnostics). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** The role a presented key grants, or undefined. */
  roleForKey(candidate: string | undefined): Role | undefined {
    if (!candidate) return undefined;
    return this.#roleForDigest(sha256(candidate));
  }

  #roleForDigest(digest: Buffer): Role | undefined {
    let found: Role | undefined;
    for (const k of this.#keys) {
      if (timingSafeEqual(digest, k.digest) && found !== 'operator') found = k.role;
    }
    return found;
  }

  /** Key from `Authorization: Bearer …` or `x-api-key`. Query parameters are never read: URLs end up in logs. */
  roleFromHeaders(req: IncomingMessage): Role | undefined {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && /^Bearer\s+/i.test(auth))
      return this.roleForKey(auth.replace(/^Bearer\s+/i, '').trim());
    const header = req.headers['x-api-key'];
    if (typeof header === 'string') return this.roleForKey(header.trim());
    return undefined;
  }

  /** Role of the session the cookie names, if it is signed by us, still held, unexpired, and its key still valid. */
  roleFromCookie(req: IncomingMessage): Role | undefined {
    const id = this.#sessionId(req);
    if (!id) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt < Date.now() || this.#roleForDigest(session.key) !== session.role) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session.role;
  }

  /**
   * Signs in with a key: a session token for the cookie, or undefined when the
   * key grants nothing. The token is `<id>.<mac>`; the session lives here.
   */
  signIn(candidate: string | undefined): { role: Role; token: string; maxAgeSeconds: number } | undefined {
    if (!candidate) return undefined;
    const key = sha256(candidate);
    const role = this.#roleForDigest(key);
    if (!role) return undefined;
    this.#dropExpired();
    while (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    const id = randomBytes(18).toString('base64url');
    this.#sessions.set(id, { role, key, expiresAt: Date.now() + this.#sessionTtlMs });
    return {
      role,
      token: `${id}.${this.#mac(`session:${id}`).toString('base64url')}`,
      maxAgeSeconds: Math.floor(this.#sessionTtlMs / 1000),
    };
  }

  /** Ends the session the request's cookie names (sign-out); the cookie is worthless afterwards. */
  signOut(req: IncomingMessage): void {
    const id = this.#sessionId(req);
    if (id) this.#sessions.delete(id);
  }

  /** The session id from the cookie when its signature is ours; never trusted before that check. */
  #sessionId(req: IncomingMessage): string | undefined {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token) return undefined;
    const [id, mac] = token.split('.');
    if (!id || !mac) return undefined;
    const expected = this.#mac(`session:${id}`);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return id;
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [id, session] of this.#sessions) if (session.expiresAt < now) this.#sessions.delete(id);
  }

  /** CSRF token bound to the session cookie (double-submit, signed). */
  csrfToken(req: IncomingMessage): string {
    return this.#mac(`csrf:${readCookie(req, SESSION_COOKIE) ?? ''}`).toString('base64url');
  }

  checkCsrf(req: IncomingMessage, given: string | undefined): boolean {
    if (!given) return false;
    const expected = Buffer.from(this.csrfToken(req), 'utf8');
    const actual = Buffer.from(given, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  #mac(text: string): Buffer {
    return createHmac('sha256', this.#sessionSecret).update(text).digest();
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function asArray(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // Anyone can send any cookie: a malformed escape is no session, not a server error.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
