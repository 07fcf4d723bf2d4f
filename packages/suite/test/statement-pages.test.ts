import { createDatabase, type Database } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { withoutSqlSecrets } from '../src/insights/activity.js';
import { renderStatusPage } from '../src/page/render.js';
import { sessionIssues } from '../src/status/database-issues.js';
import { sql } from './support/suite-helpers.js';

const OPERATOR = 'operator-key-0123456789abcdef';
const VIEWER = 'viewer-key-0123456789abcdef';
const TAIL = 'end_of_the_planted_long_statement_marker';
/** Longer than the 160 characters the live-queries table shows; two secrets in its comments. */
const LONG = `SELECT pg_sleep(120) AS waited, 'a fairly long select list to push the text past the preview' AS note
  /* reached via postgres://app:hunter2@db.internal/hotel; ALTER ROLE app PASSWORD 'hunter4' */ , '${TAIL}' AS tail`;

/**
 * Long SQL outside the queries table: a live session's whole statement on
 * its own page (`/sessions/<pid>`), linked from the live-queries table and
 * from the issues, with password literals and URL passwords replaced.
 */
describe('full-text pages for live sessions (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  let app: Database;
  let pid = 0;
  let running: Promise<unknown> | undefined;

  beforeAll(async () => {
    app = createDatabase(db.url, { poolMax: 1, applicationName: 'planted-app' });
    app.pool.on('error', () => {});
    pid = Number((await app.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    running = app.pool.query(LONG).catch(() => {});
    suite = await createDatabaseReliabilitySuite(db.url, {
      backupEnabled: false,
      migrationsEnabled: false,
      capacityEnabled: false,
      logLevel: 'silent',
    });
    server = await suite.serve({ host: '127.0.0.1', port: 0, apiKey: OPERATOR, roles: { viewer: VIEWER } });
  }, 120_000);

  afterAll(async () => {
    await sql(db.url, `SELECT pg_terminate_backend(${pid})`).catch(() => {});
    await running;
    await app?.close();
    await suite?.shutdown();
  });

  const get = (path: string, key: string | null = VIEWER) =>
    fetch(`${server.url}${path}`, { headers: key ? { authorization: `Bearer ${key}`, accept: 'text/html' } : {} });

  it('the live-queries table cuts the statement and links to its page; no secret on the page', async () => {
    const page = await (await get('/')).text();
    const row = new RegExp(`<tr data-pid="${pid}"[^>]*>.*?</tr>`, 's').exec(page)?.[0] ?? '';
    expect(row, page.slice(0, 2000)).toContain(`<a class="more" href="/sessions/${pid}">full text</a>`);
    expect(row).toContain('<code class="sql-preview">SELECT pg_sleep(120)');
    expect(row).not.toContain(TAIL);
    expect(page).not.toMatch(/hunter[24]/);
  });

  it("the session's page shows the whole statement to a viewer, with both secrets replaced", async () => {
    const res = await get(`/sessions/${pid}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(TAIL);
    expect(body).toContain('planted-app');
    expect(body).not.toMatch(/hunter[24]/);
    expect(body).toContain('postgres://app:[REDACTED]@db.internal/hotel');
    expect(body).toContain('PASSWORD &#39;[REDACTED]&#39;');
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'none'|default-src 'none'/);
  });

  it('refuses without a key, rejects a non-numeric pid, and says when the session is gone', async () => {
    expect((await get(`/sessions/${pid}`, null)).status).toBe(401);
    expect((await get('/sessions/abc')).status).toBe(400);
    expect((await get('/sessions/0')).status).toBe(400);
    const gone = await get('/sessions/2147483000');
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('not running a statement');
  });
});

describe('issues link to the whole statement', () => {
  const session = {
    pid: 4242,
    user: 'app',
    application: 'planted-app',
    client: null,
    state: 'active',
    waitEvent: null,
    queryAgeMs: 20 * 60_000,
    transactionAgeMs: 20 * 60_000,
    stateAgeMs: 20 * 60_000,
    query: `SELECT ${'x, '.repeat(100)}1`,
    blockedBy: [],
    locksHeld: 1,
  };

  it('a long-running session issue points at /sessions/<pid>, shown only where the server has such pages', () => {
    const issues = sessionIssues([session]);
    expect(issues.map((i) => i.fullText)).toEqual(['sessions/4242']);
    const data = {
      status: {
        overallHealth: 'degraded' as const,
        components: {} as never,
        issues,
        generatedAt: new Date().toISOString(),
      },
      backups: [],
      slowQueries: [],
      indexRecommendations: [],
    };
    const withPages = renderStatusPage(data as never, { basePath: '/dbrs', sessionPages: true });
    expect(withPages).toContain('<a class="more" href="/dbrs/sessions/4242">full statement</a>');
    expect(renderStatusPage(data as never, { basePath: '/dbrs' })).not.toContain('/dbrs/sessions/4242');
  });

  it('password literals are replaced in live statement text', () => {
    expect(withoutSqlSecrets("ALTER ROLE app WITH PASSWORD 'it''s secret'")).toBe(
      "ALTER ROLE app WITH PASSWORD '[REDACTED]'",
    );
    expect(withoutSqlSecrets("CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'a', password 'pw')")).toBe(
      "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'a', password '[REDACTED]')",
    );
    expect(withoutSqlSecrets('SELECT 1')).toBe('SELECT 1');
  });
});
