import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { fakeTarget, OPERATOR_KEY, VIEWER_KEY } from './support/fake-target.js';

// Issue #11 item 7: sign-out only cleared the browser's cookie; a copy of it kept working for 8 hours. Sessions
// now live on the server: sign-out ends them, and rotating the keys ends every session made with an old key.
describe('page sessions over real HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(fakeTarget(), {
      port: 0,
      apiKey: OPERATOR_KEY,
      roles: { viewer: VIEWER_KEY },
      authRateLimit: false,
    });
  });
  afterAll(() => server.close());

  async function signIn(key: string): Promise<string> {
    const res = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }
  const page = (cookie: string) => fetch(`${server.url}/`, { headers: { cookie }, redirect: 'manual' });
  const status = (cookie: string) => fetch(`${server.url}/status`, { headers: { cookie } });

  it('sign-out ends the session on the server: the old cookie no longer opens the page or /status', async () => {
    const cookie = await signIn(VIEWER_KEY);
    const other = await signIn(VIEWER_KEY);
    expect((await page(cookie)).status).toBe(200);
    expect((await status(cookie)).status).toBe(200);

    const out = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/dbrs_session=; .*Max-Age=0/);
    // Replaying the cookie the browser was told to forget.
    expect((await page(cookie)).status).toBe(401);
    expect((await status(cookie)).status).toBe(401);
    // Only that session: another sign-in with the same key is unaffected.
    expect((await status(other)).status).toBe(200);
  });

  it('rotating the keys ends the sessions made with the old key; the new key signs in', async () => {
    const oldOperator = await signIn(OPERATOR_KEY);
    const viewer = await signIn(VIEWER_KEY);
    expect((await status(oldOperator)).status).toBe(200);

    const newOperatorKey = 'rotated-operator-key-0123456789abcdef';
    server.auth.setKeys({ apiKey: newOperatorKey, roles: { viewer: VIEWER_KEY } });

    expect((await status(oldOperator)).status).toBe(401);
    expect((await page(oldOperator)).status).toBe(401);
    // The old key itself is refused too, by header and by the sign-in form.
    expect((await fetch(`${server.url}/status`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } })).status).toBe(
      401,
    );
    const refused = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ key: OPERATOR_KEY }),
      redirect: 'manual',
    });
    expect(refused.status).toBe(401);
    // The viewer key was kept, so its session stays.
    expect((await status(viewer)).status).toBe(200);
    expect((await status(await signIn(newOperatorKey))).status).toBe(200);
  });

  it('a cookie signed by another server process (or forged) is no session', async () => {
    const elsewhere = await startServer(fakeTarget(), { port: 0, apiKey: OPERATOR_KEY, authRateLimit: false });
    try {
      const res = await fetch(`${elsewhere.url}/login`, {
        method: 'POST',
        body: new URLSearchParams({ key: OPERATOR_KEY }),
        redirect: 'manual',
      });
      const foreign = res.headers.get('set-cookie')!.split(';')[0]!;
      expect((await fetch(`${elsewhere.url}/status`, { headers: { cookie: foreign } })).status).toBe(200);
      expect((await status(foreign)).status).toBe(401);
    } finally {
      await elsewhere.close();
    }
  });
});
