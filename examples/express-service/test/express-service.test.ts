import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../src/app.js';

const API_KEY = 'express-example-key-0123456789';

describe('example: the suite embedded in an express service', () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.02, seed: 1 } });
  const backupPath = mkdtempSync(join(tmpdir(), 'dbrs-express-'));
  let service: Service;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    service = await createService({ databaseUrl: db.url, apiKey: API_KEY, backupPath });
    server = service.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await service?.close();
    rmSync(backupPath, { recursive: true, force: true });
  });

  it('serves its own routes from the shared pool', async () => {
    const res = await fetch(`${base}/hotels/1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 1 });
  });

  it('mounts health, readiness and metrics under /dbrs', async () => {
    expect((await fetch(`${base}/dbrs/health`)).status).toBe(200);
    expect((await fetch(`${base}/dbrs/ready`)).status).toBe(200);
    const metrics = await fetch(`${base}/dbrs/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('voicehive_dbrs_component_health');
  });

  it('enforces the API key on the status and the page', async () => {
    expect((await fetch(`${base}/dbrs/status`)).status).toBe(401);
    const ok = await fetch(`${base}/dbrs/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect([200, 503]).toContain(ok.status);
    expect(((await ok.json()) as { components: { database: { status: string } } }).components.database.status).toBe(
      'healthy',
    );
  });

  it('signs in on the page with links under the mount path', async () => {
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

  it('leaves unknown paths to express', async () => {
    const res = await fetch(`${base}/dbrs/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html'); // express's own 404, not the suite's JSON
  });
});
