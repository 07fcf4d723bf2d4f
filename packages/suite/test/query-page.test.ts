import { createDatabase, type Database } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statementHistory } from '../src/components/performance.js';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { pruneStatementHistory } from '../src/insights/query-history.js';
import { sql } from './support/suite-helpers.js';

const OPERATOR = 'operator-key-0123456789abcdef';
const VIEWER = 'viewer-key-0123456789abcdef';
/** Longer than the 160 characters the queries table shows before folding. */
const LONG = `SELECT r.id, r.name, r.floor, r.kind, r.note, count(*) OVER () AS total_rooms_matching_the_planted_history_marker
  FROM rooms r WHERE r.floor = $1 AND r.kind = $2 AND r.note IS DISTINCT FROM $3 ORDER BY r.name, r.id LIMIT 20`;

/**
 * Each statement on its own page: the whole normalised text (the queries
 * table folds it at 160 characters) and charts of its calls and mean time
 * per snapshot, read back from the history table the performance.snapshot
 * task writes, on a real PostgreSQL.
 */
describe('query page: full text and per-query history from stored snapshots (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  let app: Database;
  let queryid: string;

  const workload = async (n: number) => {
    for (let i = 0; i < n; i++) await app.pool.query(LONG, [i % 3, 'double', 'x']);
  };

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE rooms (id int PRIMARY KEY, name text, floor int, kind text, note text);
       INSERT INTO rooms SELECT i, 'room ' || i, i % 3, 'double', NULL FROM generate_series(1, 200) i;`,
    );
    app = createDatabase(db.url, { poolMax: 1, applicationName: 'planted-app' });
    suite = await createDatabaseReliabilitySuite(db.url, {
      backupEnabled: false,
      migrationsEnabled: false,
      capacityEnabled: false,
      logLevel: 'silent',
    });
    const snapshot = suite.maintenanceTasks().find((t) => t.name === 'performance.snapshot')!;
    // Three snapshots with 4 and then 6 calls between them: two stored deltas.
    await workload(2);
    await snapshot.run(new AbortController().signal);
    await workload(4);
    await snapshot.run(new AbortController().signal);
    await workload(6);
    await snapshot.run(new AbortController().signal);
    queryid = (
      await sql<{ id: string }>(
        db.url,
        `SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE '%total_rooms_matching_the_planted_history_marker%' AND query NOT LIKE '%pg_stat_statements%'`,
      )
    )[0]!.id;
    server = await suite.serve({ host: '127.0.0.1', port: 0, apiKey: OPERATOR, roles: { viewer: VIEWER } });
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await suite?.shutdown();
  });

  const get = (path: string, key: string | null = VIEWER) =>
    fetch(`${server.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('stores per-snapshot deltas of the statement in the history table', async () => {
    const rows = await sql<{ calls: string }>(
      db.url,
      `SELECT calls::text FROM dbrs.dbrs_statement_history WHERE queryid = $1 ORDER BY taken_at`,
      [queryid],
    );
    expect(rows.map((r) => Number(r.calls))).toEqual([4, 6]);
  });

  it('shows the whole statement and charts of its history to a viewer', async () => {
    const res = await get(`/queries/${queryid}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const full = /<pre class="sql-full" data-testid="full-sql">([^<]*)<\/pre>/.exec(html)?.[1] ?? '';
    expect(full.length).toBeGreaterThan(160);
    expect(full).toContain('total_rooms_matching_the_planted_history_marker');
    expect(full).toContain('LIMIT');
    expect(html).toContain('12 calls');
    expect(html).toContain('2 snapshots with calls, 10 calls in them.');
    expect(html).toMatch(/<svg class="chart" role="img" data-chart="mean-time" data-points="2"/);
    expect(html).toMatch(/<svg class="chart" role="img" data-chart="calls" data-points="2"[\s\S]*?<polyline points=/);
    expect(html).not.toContain('<script');
  });

  it('links each statement of the queries section to its page', async () => {
    const page = await (await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${VIEWER}` } })).text();
    expect(page).toContain(`<a class="more" href="/queries/${queryid}">full text and history</a>`);
  });

  it('answers 400 for a malformed id, 404 for an unknown one, 401 without a key', async () => {
    expect((await get('/queries/12abc')).status).toBe(400);
    expect((await get('/queries/1234567890123')).status).toBe(404);
    expect((await get(`/queries/${queryid}`, null)).status).toBe(401);
  });

  it('prunes history older than the retention', async () => {
    await sql(
      db.url,
      `INSERT INTO dbrs.dbrs_statement_history SELECT now() - interval '40 days', queryid, userid, calls, total_exec_ms, mean_exec_ms, rows, shared_blks_read, temp_blks_written FROM dbrs.dbrs_statement_history LIMIT 1`,
    );
    expect(await pruneStatementHistory(suite.database, statementHistory(suite.config), undefined, 30)).toBe(1);
    expect(
      await sql(db.url, `SELECT count(*)::int AS n FROM dbrs.dbrs_statement_history WHERE queryid = $1`, [queryid]),
    ).toEqual([{ n: 2 }]);
  });
});
