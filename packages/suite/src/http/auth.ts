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

export const SESSION_COOKIE = 'dbrs_session';

/**
 * API keys held as SHA-256 digests and compared with `timingSafeEqual`:
 * hashing first makes every comparison the same length, so neither the
 * key's content nor its length leaks through timing. Every configured key is
 * compared (no early exit) for the same reason.
 */
export class ApiKeyAuth {
  readonly #keys: KeyDigest[];
  readonly #sessionSecret = randomBytes(32);
  readonly #sessionTtlMs: number;

  constructor(options: { apiKey?: string; roles?: RoleKeys; sessionTtlMs?: number }) {
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
    this.#sessionTtlMs = options.sessionTtlMs ?? 8 * 3600_000;
  }

  /** False when no key is configured: then reads are open and actions are refused. */
  get enabled(): boolean {
    return this.#keys.length > 0;
  }

  /** The role a presented key grants, or undefined. */
  roleForKey(candidate: string | undefined): Role | undefined {
    if (!candidate) return undefined;
    const digest = sha256(candidate);
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

  /** Role from the signed session cookie the login form sets, if valid and unexpired. */
  roleFromCookie(req: IncomingMessage): Role | undefined {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token) return undefined;
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return undefined;
    const expected = this.#mac(`session:${payload}`);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { r, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { r: Role; e: number };
      if (typeof e !== 'number' || e < Date.now()) return undefined;
      return r === 'operator' || r === 'viewer' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** A session token for the cookie; signed with a per-process secret, so a restart logs everyone out. */
  issueSession(role: Role): { token: string; maxAgeSeconds: number } {
    const payload = Buffer.from(
      JSON.stringify({ r: role, e: Date.now() + this.#sessionTtlMs, n: randomBytes(8).toString('hex') }),
    ).toString('base64url');
    return {
      token: `${payload}.${this.#mac(`session:${payload}`).toString('base64url')}`,
      maxAgeSeconds: Math.floor(this.#sessionTtlMs / 1000),
    };
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
