import { request } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { fakeTarget, OPERATOR_KEY, VIEWER_KEY } from './support/fake-target.js';

// Issue #11 item 8: /actions/__proto__ and /actions/constructor answered 500 ("action.run is not a function"),
// a bad %-escape answered 500 and logged an error with a stack per request (anyone could flood the log), and an
// unauthenticated caller could tell real action ids (401) from unknown ones (404).

/** A raw request, so the path reaches the server byte for byte (fetch would normalise it). */
function send(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('action paths an attacker would try', () => {
  const target = fakeTarget();
  const lines: string[] = [];
  let server: RunningServer;
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    });
    server = await startServer(target, {
      port: 0,
      apiKey: OPERATOR_KEY,
      roles: { viewer: VIEWER_KEY },
      // Off, so the many refused requests below do not lock this address out of the later cases.
      authRateLimit: false,
      logger: createLogger({ destination, level: 'debug' }),
    });
  });
  afterAll(() => server.close());
  const operator = { authorization: `Bearer ${OPERATOR_KEY}` };
  const errorLines = () => lines.filter((l) => /"level":"(error|fatal)"/.test(l));

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__'])(
    'an operator posting /actions/%s gets 404: only the map’s own ids are actions',
    async (id) => {
      const r = await send(server.url, `/actions/${id}`, operator);
      expect(r.status).toBe(404);
      expect(r.body).not.toMatch(/is not a function/);
      expect(target.actionRuns).toEqual([]);
    },
  );

  it.each(['%zz', '%', '%E0%A4%A', 'maint%ZZenance'])(
    'a malformed escape (/actions/%s) is 400 for an operator, with no error logged',
    async (segment) => {
      const r = await send(server.url, `/actions/${segment}`, operator);
      expect(r.status).toBe(400);
      expect(errorLines()).toEqual([]);
    },
  );

  it('without a key every id answers 401, real, unknown, prototype or malformed alike', async () => {
    for (const id of ['maintenance', 'no-such-action', '__proto__', 'constructor', '%zz']) {
      const r = await send(server.url, `/actions/${id}`);
      expect(r.status, id).toBe(401);
    }
    // A wrong key, too: the same answer whether the id exists or not.
    for (const id of ['maintenance', 'no-such-action']) {
      expect(
        (await send(server.url, `/actions/${id}`, { authorization: 'Bearer wrong-key-0123456789abcdef' })).status,
      ).toBe(401);
    }
    expect(errorLines()).toEqual([]);
    expect(target.actionRuns).toEqual([]);
  });

  it('a viewer gets 403 for every id; a malformed session cookie is no session, not a 500', async () => {
    for (const id of ['maintenance', 'no-such-action', '__proto__']) {
      expect((await send(server.url, `/actions/${id}`, { authorization: `Bearer ${VIEWER_KEY}` })).status).toBe(403);
    }
    const r = await send(server.url, '/actions/maintenance', { cookie: 'dbrs_session=%zz' });
    expect(r.status).toBe(401);
    expect(errorLines()).toEqual([]);
  });

  it('the real action still runs for an operator', async () => {
    const r = await send(server.url, '/actions/maintenance', operator);
    expect(r.status).toBe(200);
    expect(target.actionRuns).toEqual(['http:operator']);
  });
});
