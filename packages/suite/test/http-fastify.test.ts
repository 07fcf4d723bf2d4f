import { useTestDatabase } from '@voicehive/db-testing';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, createSuiteHandler, type DatabaseReliabilitySuite } from '../src/index.js';
import { scratchDir } from './support/suite-helpers.js';

const API_KEY = 'fastify-operator-key-0123456789';

/**
 * The README's fastify mounting, verbatim: an encapsulated plugin whose
 * catch-all content-type parser leaves the body unread (fastify would
 * otherwise answer the sign-in form's urlencoded POST with 415), and routes
 * that hijack the reply and hand the raw request to the suite handler.
 */
async function mountSuite(app: FastifyInstance, suite: DatabaseReliabilitySuite): Promise<void> {
  const handler = createSuiteHandler(suite, { apiKey: API_KEY, basePath: '/dbrs' });
  await app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
      const hand = (req: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        handler(req.raw, reply.raw);
      };
      scope.all('/', hand);
      scope.all('/*', hand);
    },
    { prefix: '/dbrs' },
  );
}

describe('the suite handler in a real fastify server', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const backups = scratchDir('dbrs-fastify-');
  let suite: DatabaseReliabilitySuite;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    suite = await createDatabaseReliabilitySuite(db.url, {
      poolMinSize: 1,
      poolMaxSize: 3,
      storageType: 'local',
      backupLocalPath: backups.path,
      logLevel: 'silent',
    });
    app = Fastify();
    await mountSuite(app, suite);
    // The application's own JSON route still gets fastify's body parsing outside the plugin.
    app.post('/echo', async (req) => ({ got: req.body }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await suite?.shutdown();
    backups.remove();
  });

  it('serves /health and /metrics without a key', async () => {
    const health = await fetch(`${base}/dbrs/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/dbrs/ready`)).status).toBe(200);
    const metrics = await fetch(`${base}/dbrs/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('voicehive_dbrs_component_health');
  });

  it('answers 401 without a key and 200 with it on /status', async () => {
    const none = await fetch(`${base}/dbrs/status`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(
      (await fetch(`${base}/dbrs/status`, { headers: { authorization: 'Bearer not-the-key-0123456789' } })).status,
    ).toBe(401);
    const ok = await fetch(`${base}/dbrs/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(ok.status).toBe(200);
    const status = (await ok.json()) as { components: { database: { status: string } } };
    expect(status.components.database.status).toBe('healthy');
  });

  it('guards the page: 401 without a key, 200 with a key, and sign-in by form works through fastify', async () => {
    expect((await fetch(`${base}/dbrs/`)).status).toBe(401);
    expect((await fetch(`${base}/dbrs`)).status).toBe(401);
    const withKey = await fetch(`${base}/dbrs/`, { headers: { 'x-api-key': API_KEY } });
    expect(withKey.status).toBe(200);
    expect(withKey.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await withKey.text()).toContain('id="components"');

    const login = await fetch(`${base}/dbrs/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: API_KEY }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/dbrs/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toContain('Path=/dbrs;');
    const page = await fetch(`${base}/dbrs/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/dbrs/actions/maintenance"');
    expect(html).toContain('id="backups"');
  });

  it('leaves the rest of the application to fastify', async () => {
    const echo = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await echo.json()).toEqual({ got: { a: 1 } });
    const outside = await fetch(`${base}/elsewhere`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { code?: string; message: string }).message).toContain('Route GET:/elsewhere');
  });
});
