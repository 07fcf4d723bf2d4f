import { setTimeout as sleep } from 'node:timers/promises';
import {
  descendantPids,
  findServerBinaries,
  type PostgresServer,
  requireComponent,
  sessionsByApplication,
  settle,
  settleSessions,
  startPostgres,
} from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../../packages/suite/test/support/suite-helpers.js';
import { type ServeProcess, startServe } from './support/serve.js';

// Issue #11 item 1: pg-pool takes its own 'error' listener off a client while it is checked out, so a
// server that went away under a running /status crashed the process with "Unhandled 'error' event".
const OPERATOR_KEY = 'fault-operator-key-0123456789abcdef';
const hasLocal = requireComponent(
  'postgres',
  findServerBinaries() !== undefined,
  'needs local server binaries (pg_ctl) to stop and start the server: apt-get install postgresql-15',
);

describe.skipIf(!hasLocal)('dbrs serve while PostgreSQL stops and starts again', () => {
  let server: PostgresServer;
  let serve: ServeProcess | undefined;
  const work = scratchDir('dbrs-fault-serve-');
  const auth = { authorization: `Bearer ${OPERATOR_KEY}` };
  type StatusBody = { components?: { database?: { status?: string } }; error?: string } | undefined;
  const status = (url: string): Promise<{ http: number; body: StatusBody }> =>
    fetch(`${url}/status`, { headers: auth }).then(
      async (r) => ({ http: r.status, body: (await r.json().catch(() => undefined)) as StatusBody }),
      (err: Error) => ({ http: 0, body: { error: err.message } }),
    );
  const databaseHealthy = async (url: string) => (await status(url)).body?.components?.database?.status === 'healthy';

  beforeAll(async () => {
    server = await startPostgres({ source: 'local' });
  });
  afterAll(async () => {
    await serve?.stop();
    await server?.stop();
    work.remove();
  });

  async function launch(): Promise<ServeProcess> {
    return startServe({
      cwd: work.path,
      env: {
        DATABASE_URL: server.url,
        DBRS_API_KEY: OPERATOR_KEY,
        BACKUP_LOCAL_PATH: `${work.path}/backups`,
        LOG_LEVEL: 'warn',
        // No idle minimum, so "back to where it started" is exact: with one, the pool may rightly keep that many.
        DB_POOL_MIN_SIZE: '0',
      },
    });
  }

  it('keeps running when the server stops under five /status requests, and answers again after the restart', async () => {
    serve = await launch();
    expect((await status(serve.url)).body?.components?.database?.status).toBe('healthy');

    // Five requests kept in flight (each one re-sent as it completes), so some are running whenever the stop lands.
    let stopped = false;
    const answered: Array<{ http: number }> = [];
    const worker = async () => {
      while (!stopped) answered.push(await status(serve!.url));
    };
    const inFlight = Array.from({ length: 5 }, worker);
    await sleep(700);
    await server.stopServer!('fast');
    stopped = true;
    await Promise.all(inFlight);

    // Still running, and still answering while the server is down.
    expect(serve.child.exitCode, serve.stderr()).toBeNull();
    expect(serve.stderr()).not.toMatch(/Unhandled 'error' event|Connection terminated unexpectedly\s+at/);
    for (const a of answered) expect([200, 503]).toContain(a.http);
    const down = await status(serve.url);
    expect([200, 503]).toContain(down.http);
    expect(down.body?.components?.database?.status).toBe('unhealthy');
    expect((await fetch(`${serve.url}/health`)).status).toBe(200);
    expect((await fetch(`${serve.url}/ready`)).status).toBe(503);

    await server.startServer!();
    // The same process, no restart: the pool opens new connections.
    expect(await settle(() => databaseHealthy(serve!.url), Boolean, { timeoutMs: 30_000, intervalMs: 500 })).toBe(true);
    expect((await fetch(`${serve.url}/ready`)).status).toBe(200);
    expect(serve.child.exitCode).toBeNull();
  });

  it('a 200-request burst on every endpoint while the server stops and starts: always answered, sessions back to where they were', async () => {
    serve ??= await launch();
    expect(await settle(() => databaseHealthy(serve!.url), Boolean, { timeoutMs: 30_000, intervalMs: 500 })).toBe(true);
    // Let the pool trim itself before taking the baseline: the burst may open more connections than it keeps.
    const before = await sessionsByApplication(server.url);
    const endpoints = [`${serve.url}/status`, serve.metricsUrl, `${serve.url}/health`, `${serve.url}/ready`];
    const burst = () =>
      Promise.all(
        endpoints.flatMap((url) =>
          Array.from({ length: 200 }, () =>
            fetch(url, { headers: auth }).then(
              async (r) => {
                await r.arrayBuffer();
                return `${new URL(url).pathname} ${r.status}`;
              },
              (err: Error) => `${new URL(url).pathname} ${err.message}`,
            ),
          ),
        ),
      );
    const during = burst();
    await sleep(300);
    await server.stopServer!('fast');
    const whileDown = await burst();
    await server.startServer!();
    const results = [...(await during), ...whileDown, ...(await burst())];

    expect(serve.child.exitCode, serve.stderr()).toBeNull();
    // Every request got an HTTP answer (no reset connection): 200, or 503 for /ready and /status while down.
    const counts: Record<string, number> = {};
    for (const r of results) counts[r] = (counts[r] ?? 0) + 1;
    const unexpected = Object.keys(counts).filter((k) => !/ (200|503)$/.test(k));
    expect(unexpected, JSON.stringify(counts)).toEqual([]);
    expect(await settle(() => databaseHealthy(serve!.url), Boolean, { timeoutMs: 30_000, intervalMs: 500 })).toBe(true);
    // The pool's idle timeout (30 s) closes what the burst opened beyond the baseline.
    const left = await settleSessions(server.url, before, { timeoutMs: 60_000 });
    for (const [app, n] of Object.entries(left)) expect(n, app).toBeLessThanOrEqual(before[app] ?? 0);

    const children = descendantPids(serve.child.pid!);
    const ended = await serve.stop();
    expect(ended.code).toBe(0);
    serve = undefined;
    expect(await settleSessions(server.url, {}, { timeoutMs: 15_000 })).toEqual({});
    for (const pid of children) expect(descendantPids().includes(pid), `child ${pid} outlived serve`).toBe(false);
  }, 180_000);
});
