import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { sql } from './support/suite-helpers.js';

const OPERATOR = 'operator-key-0123456789abcdef';
const VIEWER = 'viewer-key-0123456789abcdef';
const PLANTED_PASSWORD = 'Pa55-planted-in-sql';

/**
 * The page's explain box on a real PostgreSQL: plans a pasted statement;
 * ANALYZE only where performance.allowExplainAnalyze is true (two suites, one
 * each way, prove the setting reaches this path); one statement, read-only,
 * bounded by explainTimeoutMs; bad SQL gets the server's reason and where it
 * points; no secret in an answer; viewers and forged posts refused.
 */
describe('explain box (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let plain: DatabaseReliabilitySuite;
  let analyzing: DatabaseReliabilitySuite;
  let plainServer: RunningServer;
  let analyzingServer: RunningServer;
  let major: number;

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE rooms (id int PRIMARY KEY, name text);
       INSERT INTO rooms SELECT i, 'room ' || i FROM generate_series(1, 1000) i; ANALYZE rooms;`,
    );
    major =
      Number((await sql<{ v: string }>(db.url, "SELECT current_setting('server_version_num') AS v"))[0]!.v) / 10_000;
    const light = { backupEnabled: false, migrationsEnabled: false, capacityEnabled: false, logLevel: 'silent' };
    plain = await createDatabaseReliabilitySuite(db.url, light);
    analyzing = await createDatabaseReliabilitySuite(
      db.url,
      { ...light, allowExplainAnalyze: true },
      { explainTimeoutMs: 500 },
    );
    const keys = { host: '127.0.0.1', port: 0, apiKey: OPERATOR, roles: { viewer: VIEWER } };
    plainServer = await plain.serve(keys);
    analyzingServer = await analyzing.serve(keys);
  }, 240_000);

  afterAll(async () => {
    await plain?.shutdown();
    await analyzing?.shutdown();
  });

  const explain = async (server: RunningServer, body: Record<string, string>, key = OPERATOR) => {
    const res = await fetch(`${server.url}/explain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    const text = await res.text();
    expect(text).not.toContain(PLANTED_PASSWORD);
    return { status: res.status, body: JSON.parse(text) as { plan?: string; analyzed?: boolean; error?: string } };
  };
  const roomCount = async () => Number((await sql<{ n: string }>(db.url, 'SELECT count(*) AS n FROM rooms'))[0]!.n);

  it('plans a pasted statement without running it', async () => {
    const r = await explain(plainServer, { sql: 'SELECT * FROM rooms WHERE id = 5;' });
    expect(r.status).toBe(200);
    expect(r.body.plan).toMatch(/Index Scan using rooms_pkey on rooms/);
    expect(r.body.plan).not.toContain('actual time');
    expect(r.body.analyzed).toBe(false);
    // A writing statement is only planned: nothing is deleted.
    const del = await explain(plainServer, { sql: 'DELETE FROM rooms' });
    expect(del.body.plan).toMatch(/Delete on rooms/);
    expect(await roomCount()).toBe(1000);
  });

  it('runs ANALYZE only where performance.allowExplainAnalyze is true', async () => {
    const refused = await explain(plainServer, { sql: 'SELECT count(*) FROM rooms', analyze: 'yes' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('EXPLAIN ANALYZE is switched off');
    expect(refused.body.error).toContain('performance.allowExplainAnalyze: true');
    const analysed = await explain(analyzingServer, { sql: 'SELECT count(*) FROM rooms', analyze: 'yes' });
    expect(analysed.status).toBe(200);
    expect(analysed.body.analyzed).toBe(true);
    expect(analysed.body.plan).toMatch(/actual time=.* rows=1000 loops=1/);
    expect(analysed.body.plan).toContain('Execution Time');
  });

  it('keeps ANALYZE read-only and one statement at a time', async () => {
    const del = await explain(analyzingServer, { sql: 'DELETE FROM rooms', analyze: 'yes' });
    expect(del.status).toBe(400);
    expect(del.body.error).toContain('read-only transaction');
    expect(await roomCount()).toBe(1000);
    const two = await explain(analyzingServer, { sql: 'SELECT 1; DROP TABLE rooms', analyze: 'yes' });
    expect(two.status).toBe(400);
    expect(two.body.error).toContain('Paste one statement at a time.');
    expect(await roomCount()).toBe(1000);
  });

  it('stops ANALYZE at the statement timeout (explainTimeoutMs)', async () => {
    const slow = await explain(analyzingServer, { sql: 'SELECT pg_sleep(30)', analyze: 'yes' });
    expect(slow.status).toBe(503);
    expect(slow.body.error).toContain('ran longer than 500 ms and was cancelled');
  });

  it('says what is wrong with bad SQL, and where, without echoing a secret', async () => {
    const typo = await explain(plainServer, { sql: 'SELEC * FROM rooms' });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toContain('at character 1: “SELEC * FROM rooms”');
    expect(typo.body.error).toContain('syntax error at or near "SELEC"');
    const missing = await explain(plainServer, { sql: 'SELECT * FROM rooms r JOIN nope n ON n.id = r.id' });
    expect(missing.body.error).toContain('relation "nope" does not exist');
    expect(missing.body.error).toContain('at character 28');
    const leak = await explain(analyzingServer, {
      sql: `SELECT 'postgres://app:${PLANTED_PASSWORD}@db.internal/hotel'::int`,
      analyze: 'yes',
    });
    expect(leak.status).toBe(400);
    expect(leak.body.error).toContain('invalid input syntax for type integer');
    // No excerpt of a statement holding a secret-looking value: a cut could keep part of it.
    expect(leak.body.error).toContain('at character 8:');
    expect(leak.body.error).not.toContain('Pa55');
    const empty = await explain(plainServer, { sql: '  ' });
    expect(empty.body.error).toBe('Paste a statement to explain. For example a query from the Queries table.');
  });

  it('plans a statement with $n parameters generically on PostgreSQL 16+, and says what to do before', async () => {
    const r = await explain(plainServer, { sql: 'SELECT * FROM rooms WHERE id = $1' });
    if (major >= 16) {
      expect(r.status).toBe(200);
      expect(r.body.plan).toMatch(/Index Scan using rooms_pkey/);
    } else {
      expect(r.status).toBe(400);
      expect(r.body.error).toBe(
        'The statement has $n parameters and no values for them. Replace $1, $2, … with values (PostgreSQL 16+ plans them as a generic plan when ANALYZE is off).',
      );
    }
  });

  it('refuses viewers and cookie posts without the CSRF token, and audits without the statement text', async () => {
    expect((await explain(plainServer, { sql: 'SELECT 1' }, VIEWER)).status).toBe(403);
    const login = await fetch(`${plainServer.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: OPERATOR }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${plainServer.url}/`, { headers: { cookie } })).text();
    expect(page).toContain('<form class="explain" method="post" action="/explain">');
    expect(page).toContain('ANALYZE is off (performance.allowExplainAnalyze)');
    const forged = await fetch(`${plainServer.url}/explain`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sql: 'SELECT 1', csrf: 'forged' }),
    });
    expect(forged.status).toBe(403);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const ok = await fetch(`${plainServer.url}/explain`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sql: 'SELECT name FROM rooms WHERE id = 7', csrf }),
    });
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toMatch(/<pre class="plan" data-testid="plan">Index Scan using rooms_pkey/);
    expect(html).toContain('SELECT name FROM rooms WHERE id = 7</textarea>');
    const audit = await sql<{ outcome: string; details: Record<string, unknown> }>(
      db.url,
      `SELECT outcome, details FROM dbrs.dbrs_audit_log WHERE action = 'query.explain' ORDER BY at`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(8);
    expect(audit.some((a) => a.outcome === 'failure' && a.details['analyze'] === true)).toBe(true);
    expect(audit.find((a) => a.details['sqlstate'] === '42601')?.details['error']).toBe('INVALID_ARGUMENT');
    expect(JSON.stringify(audit)).not.toContain('rooms');
    expect(JSON.stringify(audit)).not.toContain(PLANTED_PASSWORD);
  });
});
