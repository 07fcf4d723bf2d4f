import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetrics, type Metrics } from '@voicehive/db-core';
import { afterEach, describe, expect, it } from 'vitest';
import { addressKey } from '../src/http/client-address.js';
import { createSuiteHandler, type RunningServer, type StartServerOptions, startServer } from '../src/index.js';
import { fakeTarget, OPERATOR_KEY, VIEWER_KEY } from './support/fake-target.js';

const MINUTE = 60_000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request from a chosen local address (the whole of 127/8 is loopback on Linux). */
function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; form?: Record<string, string>; from?: string } = {},
): Promise<Reply> {
  const url = new URL(path, base);
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: init.method ?? (body ? 'POST' : 'GET'),
        localAddress: init.from ?? '127.0.0.1',
        agent: false,
        headers: {
          ...(body
            ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }
            : {}),
          ...init.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('brute-force protection of keys and sign-in', () => {
  let now = Date.UTC(2026, 10, 26, 12);
  const clock = () => now;
  const servers: RunningServer[] = [];
  let logLines: string[] = [];

  async function serve(options: StartServerOptions = {}): Promise<{ url: string; metrics: Metrics }> {
    const metrics = createMetrics();
    logLines = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => logLines.push(line) } });
    const server = await startServer(fakeTarget({ registry: metrics.registry, metrics }), {
      port: 0,
      apiKey: OPERATOR_KEY,
      roles: { viewer: VIEWER_KEY },
      logger,
      ...options,
      authRateLimit: { now: clock, ...(options.authRateLimit || {}) },
    });
    servers.push(server);
    return { url: server.url, metrics };
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function counter(metrics: Metrics, series: string): Promise<number> {
    const text = await metrics.text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  }

  it('after 5 wrong keys answers 429 with Retry-After, even for the right key, until the lockout passes', async () => {
    const { url, metrics } = await serve();
    for (let i = 1; i <= 4; i++) {
      const res = await call(url, '/status', { headers: bearer(`wrong-key-${i}-0123456789abcdef`) });
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const fifth = await call(url, '/status', { headers: bearer('wrong-key-5-0123456789abcdef') });
    expect(fifth.status).toBe(429);
    expect(fifth.headers['retry-after']).toBe('60');

    // Right and wrong keys get the very same answer while locked: nothing says which one exists.
    const right = await call(url, '/status', { headers: bearer(OPERATOR_KEY) });
    const wrong = await call(url, '/status', { headers: bearer('wrong-key-6-0123456789abcdef') });
    const viaHeader = await call(url, '/status', { headers: { 'x-api-key': VIEWER_KEY } });
    for (const r of [right, wrong, viaHeader]) {
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('60');
      expect(r.body).toBe(right.body);
    }
    expect(JSON.parse(right.body)).toEqual({
      error: 'Too many failed authentication attempts from this address. Try again in 1 minute.',
      retryAfterSeconds: 60,
    });
    // Actions and the page refuse the locked address's keys too; health and open metrics do not need a key.
    expect((await call(url, '/actions/maintenance', { method: 'POST', headers: bearer(OPERATOR_KEY) })).status).toBe(
      429,
    );
    expect((await call(url, '/', { headers: bearer(OPERATOR_KEY) })).status).toBe(429);
    expect((await call(url, '/health')).status).toBe(200);
    expect((await call(url, '/metrics')).status).toBe(200);

    now += MINUTE - 1_000;
    const almost = await call(url, '/status', { headers: bearer(OPERATOR_KEY) });
    expect(almost.status).toBe(429);
    expect(almost.headers['retry-after']).toBe('1');
    now += 1_000;
    expect((await call(url, '/status', { headers: bearer(OPERATOR_KEY) })).status).toBe(200);

    expect(await counter(metrics, 'voicehive_dbrs_http_auth_failures_total{method="api_key"}')).toBe(5);
    expect(await counter(metrics, 'voicehive_dbrs_http_auth_failures_total{method="sign_in"}')).toBe(0);
    expect(await counter(metrics, 'voicehive_dbrs_http_auth_lockouts_total')).toBe(1);
    expect(await counter(metrics, 'voicehive_dbrs_http_auth_rate_limited_total')).toBe(6);
    // The suite registry's /metrics shows them.
    expect((await call(url, '/metrics')).body).toContain('voicehive_dbrs_http_auth_lockouts_total 1');
  });

  it('doubles the lockout for each lockout in a row up to the cap, and forgets a quiet address', async () => {
    const { url } = await serve({
      authRateLimit: { maxFailures: 2, lockoutMs: MINUTE, maxLockoutMs: 3 * MINUTE, windowMs: 15 * MINUTE },
    });
    const lockOnce = async () => {
      expect((await call(url, '/status', { headers: bearer('wrong-key-a-0123456789abcdef') })).status).toBe(401);
      const r = await call(url, '/status', { headers: bearer('wrong-key-b-0123456789abcdef') });
      expect(r.status).toBe(429);
      return Number(r.headers['retry-after']);
    };
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const wait = await lockOnce();
      seen.push(wait);
      now += wait * 1000;
    }
    expect(seen).toEqual([60, 120, 180, 180]);
    // Quiet for the whole window after the lockout ended: back to the first step.
    now += 15 * MINUTE;
    expect(await lockOnce()).toBe(60);
  });

  it('leaves other addresses alone, and ignores X-Forwarded-For without trustProxy', async () => {
    const { url } = await serve();
    for (let i = 0; i < 5; i++) await call(url, '/status', { headers: bearer('wrong-key-0123456789abcdef') });
    expect((await call(url, '/status', { headers: bearer(OPERATOR_KEY) })).status).toBe(429);

    expect((await call(url, '/status', { from: '127.0.0.2', headers: bearer(OPERATOR_KEY) })).status).toBe(200);
    expect(
      (await call(url, '/status', { from: '127.0.0.2', headers: bearer('wrong-key-0123456789abcdef') })).status,
    ).toBe(401);
    const login = await call(url, '/login', { from: '127.0.0.3', form: { key: VIEWER_KEY } });
    expect(login.status).toBe(303);

    // A client cannot step out of its lockout by claiming another address.
    const spoofed = await call(url, '/status', {
      headers: { ...bearer(OPERATOR_KEY), 'x-forwarded-for': '203.0.113.50' },
    });
    expect(spoofed.status).toBe(429);
  });

  it('with trustProxy counts the address the proxy appended, not what the client wrote, and IPv6 by /64', async () => {
    const { url } = await serve({ trustProxy: true });
    const from = (xff: string, key = 'wrong-key-0123456789abcdef') =>
      call(url, '/status', { headers: { ...bearer(key), 'x-forwarded-for': xff } });

    // The client rotates the leftmost entry; the proxy's entry (rightmost) stays the same.
    for (let i = 1; i <= 4; i++) expect((await from(`198.51.100.${i}, 203.0.113.5`)).status).toBe(401);
    expect((await from('198.51.100.99, 203.0.113.5')).status).toBe(429);
    expect((await from('203.0.113.5', OPERATOR_KEY)).status).toBe(429);
    expect((await from('203.0.113.6', OPERATOR_KEY)).status).toBe(200);
    // The socket (127.0.0.1, the "proxy") is not what is locked.
    expect((await from('203.0.113.7', OPERATOR_KEY)).status).toBe(200);

    for (let i = 1; i <= 5; i++) await from(`2001:db8:1:2::${i.toString(16)}`);
    expect((await from('2001:db8:1:2:ffff:ffff:ffff:ffff', OPERATOR_KEY)).status).toBe(429);
    expect((await from('2001:db8:1:3::1', OPERATOR_KEY)).status).toBe(200);
  });

  it('resets the count on a successful sign-in or key', async () => {
    const { url } = await serve();
    const wrongLogin = () => call(url, '/login', { form: { key: 'not-the-key-0123456789' } });
    for (let i = 0; i < 4; i++) expect((await wrongLogin()).status).toBe(401);
    expect((await call(url, '/login', { form: { key: VIEWER_KEY } })).status).toBe(303);
    for (let i = 0; i < 4; i++) expect((await wrongLogin()).status).toBe(401);
    expect((await call(url, '/status', { headers: bearer(OPERATOR_KEY) })).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await wrongLogin()).status).toBe(401);
    // Form and header failures count together.
    expect((await call(url, '/status', { headers: bearer('wrong-key-0123456789abcdef') })).status).toBe(429);
  });

  it('shows a readable lockout message on the sign-in form', async () => {
    const { url, metrics } = await serve({ authRateLimit: { lockoutMs: 10 * MINUTE } });
    for (let i = 0; i < 4; i++) {
      const r = await call(url, '/login', { form: { key: `guess-${i}-0123456789abcdef` } });
      expect(r.status).toBe(401);
      expect(r.body).toContain('That key is not valid.');
    }
    const fifth = await call(url, '/login', { form: { key: 'guess-5-0123456789abcdef' } });
    expect(fifth.status).toBe(429);
    expect(fifth.headers['retry-after']).toBe('600');
    expect(fifth.headers['content-type']).toContain('text/html');
    expect(fifth.body).toContain('Too many failed sign-in attempts. Try again in 10 minutes.');
    expect(fifth.body).toContain('name="key"');

    const right = await call(url, '/login', { form: { key: OPERATOR_KEY } });
    expect(right.status).toBe(429);
    expect(right.headers['set-cookie']).toBeUndefined();
    expect(right.body).toBe(fifth.body);

    now += 8 * MINUTE + 30_000;
    const page = await call(url, '/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(429);
    expect(page.body).toContain('Try again in 2 minutes.');
    now += 60_000;
    expect((await call(url, '/', { headers: { accept: 'text/html' } })).body).toContain('Try again in 1 minute.');

    now += 30_000;
    const after = await call(url, '/login', { form: { key: OPERATOR_KEY } });
    expect(after.status).toBe(303);
    expect(after.headers['set-cookie']).toBeDefined();
    expect(await counter(metrics, 'voicehive_dbrs_http_auth_failures_total{method="sign_in"}')).toBe(5);
  });

  it('counts parallel guesses exactly: no burst slips past the limit', async () => {
    // A barrier in front of the handler: it starts all twelve requests in the same tick, so each one
    // reaches its first await (reading the form) before any is answered. That is the worst interleaving.
    const handler = createSuiteHandler(fakeTarget(), { apiKey: OPERATOR_KEY, authRateLimit: { now: clock } });
    const burst = 12;
    let waiting: Array<[IncomingMessage, ServerResponse]> = [];
    const srv = createServer((req, res) => {
      waiting.push([req, res]);
      if (waiting.length === burst) {
        for (const [q, r] of waiting) handler(q, r);
        waiting = [];
      }
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const forms = await Promise.all(
        Array.from({ length: burst }, (_, i) => call(url, '/login', { form: { key: `parallel-${i}-0123456789` } })),
      );
      const headers = await Promise.all(
        Array.from({ length: burst }, (_, i) =>
          call(url, '/status', { from: '127.0.0.2', headers: bearer(`parallel-${i}-0123456789`) }),
        ),
      );
      for (const batch of [forms, headers]) {
        const statuses = batch.map((r) => r.status);
        expect(statuses.filter((s) => s === 401)).toHaveLength(4);
        expect(statuses.filter((s) => s === 429)).toHaveLength(burst - 4);
      }
    } finally {
      srv.close();
    }
  });

  it('tracks at most maxTrackedAddresses, forgetting the least recently seen', async () => {
    const { url, metrics } = await serve({
      trustProxy: true,
      authRateLimit: { maxFailures: 2, maxTrackedAddresses: 3 },
    });
    const handlerLimiter = () => createSuiteHandler(fakeTarget(), { authRateLimit: { maxTrackedAddresses: 3 } });
    const fail = (ip: string) =>
      call(url, '/status', { headers: { ...bearer('wrong-key-0123456789abcdef'), 'x-forwarded-for': ip } });

    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']) expect((await fail(ip)).status).toBe(401);
    expect(await counter(metrics, 'voicehive_dbrs_http_auth_limiter_evictions_total')).toBe(1);
    // .1 was forgotten, so this is its first failure again; .4 is still tracked, so its second locks it.
    expect((await fail('192.0.2.1')).status).toBe(401);
    expect((await fail('192.0.2.4')).status).toBe(429);

    // A flood of addresses leaves the map at its cap.
    const limiter = handlerLimiter().rateLimiter!;
    for (let i = 0; i < 5_000; i++) limiter.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.size).toBe(3);
    // Successful requests create no entry at all.
    limiter.recordSuccess('10.9.9.9');
    expect(limiter.lockedFor('10.9.9.8')).toBe(0);
    expect(limiter.size).toBe(3);
  });

  it('logs one warning per lockout with the address and never the key or password tried', async () => {
    const { url } = await serve();
    const tried = Array.from({ length: 5 }, (_, i) => `secret-guess-${i}-Zq8vW3pL0x`);
    for (const key of tried.slice(0, 3)) await call(url, '/status', { headers: bearer(key) });
    for (const key of tried.slice(3)) await call(url, '/login', { form: { key } });
    await call(url, '/login', { form: { key: OPERATOR_KEY } });
    await call(url, '/status', { headers: { 'x-api-key': VIEWER_KEY } });

    const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const lockouts = entries.filter((e) => e['event'] === 'auth_lockout');
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({
      level: 'warn',
      client: '127.0.0.1',
      lockoutMs: MINUTE,
      lockoutsInARow: 1,
      method: 'sign_in',
    });
    expect(entries.filter((e) => e['event'] === 'login_failed')).toHaveLength(2);
    const all = logLines.join('\n');
    for (const secret of [...tried, OPERATOR_KEY, VIEWER_KEY]) expect(all).not.toContain(secret);
  });

  it('can be turned off, and refuses bad settings with a clear error', async () => {
    const open = await startServer(fakeTarget(), { port: 0, apiKey: OPERATOR_KEY, authRateLimit: false });
    servers.push(open);
    for (let i = 0; i < 8; i++)
      expect((await call(open.url, '/status', { headers: bearer('wrong-key-0123456789abcdef') })).status).toBe(401);
    expect((await call(open.url, '/status', { headers: bearer(OPERATOR_KEY) })).status).toBe(200);

    expect(() => createSuiteHandler(fakeTarget(), { authRateLimit: { maxFailures: 0 } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('maxFailures') }),
    );
    expect(() =>
      createSuiteHandler(fakeTarget(), { authRateLimit: { lockoutMs: 10 * MINUTE, maxLockoutMs: MINUTE } }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('maxLockoutMs') }));
  });

  it('keys addresses: IPv4-mapped IPv6 as IPv4, IPv6 by /64', () => {
    expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:DB8:0:1:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });
});
