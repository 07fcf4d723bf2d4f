import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { assertNoSecrets, fakeTarget, OPERATOR_KEY, VIEWER_KEY } from './support/fake-target.js';

describe('suite HTTP handler', () => {
  const target = fakeTarget();
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(target, { port: 0, apiKey: OPERATOR_KEY, roles: { viewer: VIEWER_KEY } });
  });
  afterAll(() => server.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers, redirect: 'manual' });

  it('serves /health without a key', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports readiness from the target', async () => {
    expect((await get('/ready')).status).toBe(200);
    const down = await startServer(
      fakeTarget({ checkReady: async () => ({ ready: false, message: 'connection refused' }) }),
      { port: 0 },
    );
    try {
      const res = await fetch(`${down.url}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'not_ready' });
    } finally {
      await down.close();
    }
  });

  it('requires the API key on /status: 401 without or with a wrong key, 200 with Bearer or x-api-key', async () => {
    const none = await get('/status');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get('/status', { authorization: 'Bearer wrong-key-0123456789abcdef' })).status).toBe(401);
    const bearer = await get('/status', { authorization: `Bearer ${OPERATOR_KEY}` });
    expect(bearer.status).toBe(200);
    expect(((await bearer.json()) as { overallHealth: string }).overallHealth).toBe('degraded');
    expect((await get('/status', { 'x-api-key': VIEWER_KEY })).status).toBe(200);
  });

  it('never accepts the key from the query string', async () => {
    expect((await get(`/status?key=${OPERATOR_KEY}`)).status).toBe(401);
    expect((await get(`/?key=${OPERATOR_KEY}`)).status).toBe(401);
  });

  it('serves /metrics without a key by default, with the registry content type', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('voicehive_db_capacity_usage_percent 42');
  });

  it('can require the key on /metrics', async () => {
    const locked = await startServer(fakeTarget(), { port: 0, apiKey: OPERATOR_KEY, metricsRequireApiKey: true });
    try {
      expect((await fetch(`${locked.url}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`${locked.url}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } })).status,
      ).toBe(200);
      expect((await fetch(`${locked.url}/health`)).status).toBe(200);
    } finally {
      await locked.close();
    }
  });

  it('shows a login form to a browser, signs in with a cookie, and serves the page', async () => {
    const anon = await get('/', { accept: 'text/html' });
    expect(anon.status).toBe(401);
    expect(await anon.text()).toContain('name="key"');

    const bad = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: 'nope' }),
      redirect: 'manual',
    });
    expect(bad.status).toBe(401);

    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: VIEWER_KEY }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/dbrs_session=.+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict/);
    expect(cookie).not.toContain(VIEWER_KEY);

    const page = await get('/', { cookie: cookie.split(';')[0]! });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    for (const id of [
      'overall',
      'components',
      'issues',
      'slow-queries',
      'index-recommendations',
      'backups',
      'capacity',
    ])
      expect(html).toContain(`id="${id}"`);
    // Escaped, not executed.
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // A viewer is not offered operator actions.
    expect(html).not.toContain('data-action="maintenance"');
  });

  it('rejects a forged or tampered session cookie', async () => {
    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: VIEWER_KEY }),
      redirect: 'manual',
    });
    const [name, value] = login.headers.get('set-cookie')!.split(';')[0]!.split('=');
    const [payload, mac] = decodeURIComponent(value!).split('.');
    const forged = Buffer.from(JSON.stringify({ r: 'operator', e: Date.now() + 1e9 })).toString('base64url');
    expect((await get('/', { cookie: `${name}=${forged}.${mac}` })).status).toBe(401);
    expect((await get('/', { cookie: `${name}=${payload}.AAAA` })).status).toBe(401);
  });

  it('lets only an operator trigger actions, and needs the CSRF token with a cookie session', async () => {
    const viewer = await fetch(`${server.url}/actions/maintenance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${VIEWER_KEY}` },
    });
    expect(viewer.status).toBe(403);
    expect((await fetch(`${server.url}/actions/maintenance`, { method: 'POST' })).status).toBe(401);

    const viaHeader = await fetch(`${server.url}/actions/maintenance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    });
    expect(viaHeader.status).toBe(200);
    expect(await viaHeader.json()).toMatchObject({ action: 'maintenance', result: { tasksCompleted: 1 } });

    const login = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: OPERATOR_KEY }),
      redirect: 'manual',
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const noCsrf = await fetch(`${server.url}/actions/maintenance`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({}),
    });
    expect(noCsrf.status).toBe(403);
    const page = await (await get('/', { cookie })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    const ok = await fetch(`${server.url}/actions/maintenance`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ csrf: csrf! }),
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Run maintenance cycle: done.');
    expect(target.actionRuns).toEqual(['http:operator', 'http:operator']);
  });

  it('puts no planted secret in any response', async () => {
    const auth = { authorization: `Bearer ${OPERATOR_KEY}` };
    const bodies = await Promise.all(
      ['/status', '/', '/metrics', '/ready', '/health', '/nope'].map(async (p) => (await get(p, auth)).text()),
    );
    for (const body of bodies) expect(assertNoSecrets(body)).toEqual([]);
    expect(bodies[0]).toContain('[REDACTED]');
  });

  it('works under a base path on a plain node:http server (as fastify passes req.raw)', async () => {
    const { createSuiteHandler } = await import('../src/index.js');
    const handler = createSuiteHandler(fakeTarget(), { apiKey: OPERATOR_KEY, basePath: '/dbrs' });
    const srv = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/dbrs/health`)).status).toBe(200);
      expect((await fetch(`${base}/dbrs/status`, { headers: { 'x-api-key': OPERATOR_KEY } })).status).toBe(200);
      const login = await fetch(`${base}/dbrs/login`, {
        method: 'POST',
        body: new URLSearchParams({ key: OPERATOR_KEY }),
        redirect: 'manual',
      });
      expect(login.headers.get('location')).toBe('/dbrs/');
      expect(login.headers.get('set-cookie')).toContain('Path=/dbrs;');
    } finally {
      srv.close();
    }
  });
});
