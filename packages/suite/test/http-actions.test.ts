import type { IncomingMessage } from 'node:http';
import { DbrsError } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, type StatusPageData, startServer } from '../src/index.js';
import { fakeTarget, OPERATOR_KEY, samplePageData, VIEWER_KEY } from './support/fake-target.js';

/**
 * Parameterised operator actions over HTTP: the confirmation step, CSRF
 * refusal, the viewer's 403, and which form fields reach the action.
 * (The same actions against a real PostgreSQL session, in Chromium:
 * operator-actions.browser.test.ts.)
 */
describe('operator actions over HTTP (confirmation, CSRF, roles)', () => {
  const runs: Array<{ actor: string; params?: Record<string, string> }> = [];
  const pageData = (): StatusPageData => ({
    ...samplePageData(),
    sections: {
      live: [
        {
          pid: 4242,
          user: 'app',
          application: 'booking-api',
          client: '10.0.0.7',
          state: 'active',
          waitEvent: null,
          queryAgeMs: 65_000,
          transactionAgeMs: 65_000,
          stateAgeMs: 65_000,
          query: 'SELECT pg_sleep(600)',
          blockedBy: [],
          locksHeld: 1,
        },
      ],
    },
  });
  const target = fakeTarget({
    getStatusPageData: async () => pageData(),
    actions: {
      'session-cancel': {
        label: 'Cancel',
        placement: 'session',
        params: ['pid'],
        confirm: async ({ params }) => {
          if (params['pid'] !== '4242') throw new DbrsError('NOT_FOUND', `No session with pid ${params['pid']}.`);
          return `Cancel the running statement of session ${params['pid']}?`;
        },
        run: async ({ actor, params }) => {
          runs.push({ actor, params });
          return { pid: Number(params?.['pid']) };
        },
      },
    },
  });
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(target, { port: 0, apiKey: OPERATOR_KEY, roles: { viewer: VIEWER_KEY } });
  });
  afterAll(() => server.close());

  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });
  const signIn = async (key: string) => {
    const login = await post('/login', { key });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${server.url}/`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    return { cookie, csrf, page };
  };

  it('offers the row buttons to an operator only, as plain forms', async () => {
    const op = await signIn(OPERATOR_KEY);
    expect(op.page).toMatch(
      /<tr data-pid="4242"[\s\S]*?<form class="inline" method="post" action="\/actions\/session-cancel"><input type="hidden" name="csrf" value="[^"]+"><input type="hidden" name="pid" value="4242">/,
    );
    expect(op.page).not.toContain('<script');
    const viewer = await signIn(VIEWER_KEY);
    expect(viewer.page).toContain('data-pid="4242"');
    expect(viewer.page).not.toContain('/actions/session-cancel');
  });

  it('asks first: the first post shows the confirmation, only confirm=yes runs the action', async () => {
    runs.length = 0;
    const { cookie, csrf } = await signIn(OPERATOR_KEY);
    const ask = await post('/actions/session-cancel', { csrf, pid: '4242', other: 'dropped' }, { cookie });
    expect(ask.status).toBe(200);
    const confirmPage = await ask.text();
    expect(confirmPage).toContain('Cancel the running statement of session 4242?');
    expect(confirmPage).toContain('<input type="hidden" name="confirm" value="yes">');
    expect(confirmPage).toContain('<input type="hidden" name="pid" value="4242">');
    expect(confirmPage).not.toContain('dropped');
    expect(runs).toEqual([]);

    const confirmCsrf = /name="csrf" value="([^"]+)"/.exec(confirmPage)![1]!;
    const done = await post(
      '/actions/session-cancel',
      { csrf: confirmCsrf, pid: '4242', confirm: 'yes', other: 'dropped' },
      { cookie },
    );
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Cancel (pid 4242): done.');
    expect(runs).toEqual([{ actor: 'http:operator', params: { pid: '4242' } }]);
  });

  it('refuses a cookie post without or with a wrong CSRF token (403), and runs nothing', async () => {
    runs.length = 0;
    const { cookie } = await signIn(OPERATOR_KEY);
    const none = await post('/actions/session-cancel', { pid: '4242', confirm: 'yes' }, { cookie });
    expect(none.status).toBe(403);
    expect(await none.json()).toEqual({ error: 'Missing or invalid CSRF token; reload the page and try again.' });
    const other = await signIn(OPERATOR_KEY);
    // A token that belongs to another session does not carry over.
    const wrong = await post('/actions/session-cancel', { csrf: other.csrf, pid: '4242', confirm: 'yes' }, { cookie });
    expect(wrong.status).toBe(403);
    expect(runs).toEqual([]);
  });

  it('gives a viewer 403 with a valid cookie + CSRF token and with a header key', async () => {
    runs.length = 0;
    const { cookie } = await signIn(VIEWER_KEY);
    // The viewer's page has no action form; the token its session would need is computed the server's way.
    const csrf = server.auth.csrfToken({ headers: { cookie } } as unknown as IncomingMessage);
    expect(server.auth.checkCsrf({ headers: { cookie } } as unknown as IncomingMessage, csrf)).toBe(true);
    const byCookie = await post('/actions/session-cancel', { csrf, pid: '4242', confirm: 'yes' }, { cookie });
    expect(byCookie.status).toBe(403);
    const byHeader = await post(
      '/actions/session-cancel',
      { pid: '4242', confirm: 'yes' },
      { authorization: `Bearer ${VIEWER_KEY}` },
    );
    expect(byHeader.status).toBe(403);
    expect(await byHeader.json()).toEqual({ error: 'This action needs the operator role.' });
    expect(runs).toEqual([]);
  });

  it('answers an API client 428 with the question until it confirms', async () => {
    runs.length = 0;
    const auth = { authorization: `Bearer ${OPERATOR_KEY}` };
    const ask = await post('/actions/session-cancel', { pid: '4242' }, auth);
    expect(ask.status).toBe(428);
    expect(await ask.json()).toEqual({
      error: 'This action needs confirmation: post it again with confirm=yes.',
      confirm: 'Cancel the running statement of session 4242?',
    });
    expect(runs).toEqual([]);
    const done = await post('/actions/session-cancel', { pid: '4242', confirm: 'yes' }, auth);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ action: 'session-cancel', result: { pid: 4242 } });
    expect(runs).toHaveLength(1);
  });

  it('turns a refused confirmation into 404 for an API client and a notice on the page', async () => {
    runs.length = 0;
    const gone = await post('/actions/session-cancel', { pid: '999' }, { authorization: `Bearer ${OPERATOR_KEY}` });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: 'No session with pid 999.' });
    const { cookie, csrf } = await signIn(OPERATOR_KEY);
    const page = await post('/actions/session-cancel', { csrf, pid: '999' }, { cookie });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Cancel (pid 999) refused: No session with pid 999.');
    expect(runs).toEqual([]);
  });
});
