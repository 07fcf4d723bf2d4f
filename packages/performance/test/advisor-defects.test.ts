import { createDatabase } from '@voicehive/db-core';
import {
  createTestDatabase,
  getSharedPostgres,
  type PostgresServer,
  requireComponent,
  type TestDatabase,
} from '@voicehive/db-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatementShape } from '../src/advisor/parse-statement.js';
import { indexWriteRows } from '../src/advisor/write-cost.js';
import type { IndexInfo } from '../src/catalog/catalog.js';
import { buildCandidates, type PerformanceReport } from '../src/index.js';
import { loadParser } from '../src/sql/parser.js';
import { exec, report } from './helpers.js';

/*
 * Issue #15 §1: each defect found in the advisor, against real PostgreSQL with hypopg. Every statement is run
 * by the application's own connection (untagged) with parameters, so pg_stat_statements holds it with $n.
 */
const server: PostgresServer = await getSharedPostgres();
const hasHypopg = requireComponent('hypopg', server.hasHypopg);

async function run(url: string, statements: [string, unknown[]][], times: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = 0; i < times; i++) for (const [sql, values] of statements) await c.query(sql, values);
  } finally {
    await c.end();
  }
}

const resetStatements = `SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`;
const recs = (r: PerformanceReport) => r.indexRecommendations.map((x) => `${x.table}(${x.columns.join(', ')})`);

beforeAll(() => loadParser());

describe('statement shapes the parser used to miss', () => {
  const uses = (sql: string) => {
    const out = readStatementShape(sql);
    if (!out.ok) throw new Error(out.error);
    return out.shape.uses.map((u) => `${u.column}:${u.kind}${u.direction ? `:${u.direction}` : ''}`);
  };

  it('maps ORDER BY 1 and ORDER BY <output alias> back to their column', () => {
    expect(uses('SELECT created_at, id FROM t WHERE a = $1 ORDER BY 1 DESC')).toContain('created_at:sort:DESC');
    expect(uses('SELECT created_at AS u FROM t WHERE a = $1 ORDER BY u')).toContain('created_at:sort:ASC');
    // An ordinal past the select list, or an expression, names no column.
    expect(uses('SELECT a FROM t ORDER BY 2').filter((u) => u.includes(':sort'))).toEqual([]);
  });

  it('reads = ANY($1), IN (…) as equality and LIKE with a literal prefix as a prefix range', () => {
    expect(uses('SELECT * FROM t WHERE id = ANY($1)')).toContain('id:eq');
    expect(uses("SELECT * FROM t WHERE kind IN ('a', 'b')")).toContain('kind:eq');
    expect(uses("SELECT * FROM t WHERE email LIKE 'abc%'")).toContain('email:prefix');
    expect(uses("SELECT * FROM t WHERE email LIKE '%abc'")).not.toContain('email:prefix');
    expect(uses('SELECT * FROM t WHERE email LIKE $1')).not.toContain('email:prefix');
  });

  it('builds composites from the columns one statement filters and joins on', () => {
    const table = {
      oid: 1,
      schema: 'public',
      name: 'r',
      reltuples: 1e5,
      relpages: 1,
      seqScan: 0,
      seqTupRead: 0,
      idxScan: 0,
      writes: 0,
      nLiveTup: 1e5,
    };
    const keys = buildCandidates(
      { table, eq: ['status'], range: ['created_at'], prefix: [], join: ['book_id', 'user_id'], sort: [], group: [] },
      () => undefined,
      { maxColumns: 3 },
    ).map((c) => c.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'public.r(status, book_id)',
        'public.r(book_id, created_at)',
        'public.r(book_id, user_id)',
      ]),
    );
  });
});

describe('write cost follows what PostgreSQL writes', () => {
  const index = (columns: string[]): IndexInfo => ({
    oid: 9,
    tableOid: 1,
    schema: 'public',
    table: 't',
    name: 'i',
    am: 'btree',
    unique: false,
    primary: false,
    valid: true,
    partial: false,
    columns,
    desc: columns.map(() => false),
    sizeBytes: 0,
    idxScan: 0,
    definition: '',
    constraintBacked: false,
    replicaIdentity: false,
  });

  it('charges INSERTs and non-HOT UPDATEs, never DELETEs', () => {
    const writes = [
      { tableOid: 1, kind: 'insert' as const, rows: 100 },
      { tableOid: 1, kind: 'delete' as const, rows: 1000 },
      { tableOid: 1, kind: 'update' as const, rows: 10, setColumns: ['status'] },
      { tableOid: 1, kind: 'update' as const, rows: 7, setColumns: ['note'] },
      { tableOid: 2, kind: 'insert' as const, rows: 5000 },
    ];
    // An index on status: the status update is not HOT; the note update stays HOT (no indexed column changes).
    expect(indexWriteRows({ tableOid: 1, columns: ['status'], writes, indexes: [] })).toBe(110);
    // An index on created_at: neither update touches it.
    expect(indexWriteRows({ tableOid: 1, columns: ['created_at'], writes, indexes: [] })).toBe(100);
    // With an existing index on note, the note update is non-HOT already and adds an entry to every index.
    expect(indexWriteRows({ tableOid: 1, columns: ['created_at'], writes, indexes: [index(['note'])] })).toBe(107);
  });
});

describe.skipIf(!hasHypopg)('the advisor on PostgreSQL with hypopg', () => {
  let t: TestDatabase;
  let r: PerformanceReport;
  let collation: string;

  beforeAll(async () => {
    t = await createTestDatabase(server);
    const found = await exec(
      t.url,
      `SELECT collname FROM pg_collation
        WHERE collname NOT IN ('default', 'C', 'POSIX', 'ucs_basic')
          AND collencoding IN (-1, (SELECT encoding FROM pg_database WHERE datname = current_database()))
        ORDER BY collprovider = 'c' DESC, collname LIMIT 1`,
    );
    collation = String(found.rows[0]!.collname);
    await exec(
      t.url,
      `CREATE TABLE author (id int PRIMARY KEY, name text);
       CREATE TABLE book (id int PRIMARY KEY, author_id int, title text);
       CREATE TABLE review (id int PRIMARY KEY, book_id int, stars int, body text);
       INSERT INTO author SELECT g, 'author ' || g FROM generate_series(1, 5000) g;
       INSERT INTO book SELECT g, 1 + g % 5000, 'title ' || g FROM generate_series(1, 50000) g;
       INSERT INTO review SELECT g, 1 + g % 50000, g % 5, repeat('x', 40) FROM generate_series(1, 200000) g;
       CREATE TABLE account (id int PRIMARY KEY, email text COLLATE "${collation}", phone text, region int);
       INSERT INTO account SELECT g, 'user' || g || '@example.com', '+1' || (1000000 + g), g % 20
         FROM generate_series(1, 60000) g;
       CREATE TABLE ev (id bigint, tenant int, created_at timestamptz, kind text) PARTITION BY RANGE (created_at);
       CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
       CREATE TABLE ev_2 PARTITION OF ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
       CREATE TABLE ev_3 PARTITION OF ev FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
       INSERT INTO ev SELECT g, g % 1000, '2024-01-01'::timestamptz + (g % 7776000) * interval '25 second', 'k'
         FROM generate_series(1, 300000) g;
       CREATE TABLE purge (id int PRIMARY KEY, batch int, payload text);
       INSERT INTO purge SELECT g, g % 500, 'p' FROM generate_series(1, 100000) g;
       ANALYZE;
       ${resetStatements};`,
    );
    await run(
      t.url,
      [
        [
          'SELECT r.stars FROM author a JOIN book b ON b.author_id = a.id JOIN review r ON r.book_id = b.id WHERE a.id = $1',
          [17],
        ],
        ['SELECT id FROM account WHERE email = $1 OR phone = $2', ['user7@example.com', '+11000007']],
        [
          'SELECT id, kind FROM ev WHERE tenant = $1 AND created_at >= $2 AND created_at < $3',
          [5, '2024-01-05', '2024-03-20'],
        ],
        ['SELECT count(*) FROM purge WHERE batch = $1', [3]],
        ['DELETE FROM purge WHERE id = $1', [-1]],
      ],
      20,
    );
    r = await report(t.url);
  }, 240_000);

  afterAll(async () => {
    await t?.drop();
  });

  it('recommends both join indexes that only pay together, costed under the whole configuration', () => {
    expect(recs(r)).toEqual(expect.arrayContaining(['public.book(author_id)', 'public.review(book_id)']));
    const review = r.indexRecommendations.find((x) => x.table === 'public.review')!;
    const join = review.affectedQueries.find((q) => q.query.includes('JOIN review'))!;
    // With both in place the join is a few index lookups; with either alone one table is still read whole.
    expect(join.costAfter!).toBeLessThan(join.costBefore / 20);
    expect(review.evidence).toMatch(/With the recommended indexes in place/);
  });

  it('recommends one index per column of an OR across columns (used together in a BitmapOr)', () => {
    const phone = r.indexRecommendations.find((x) => x.table === 'public.account' && x.columns[0] === 'phone');
    expect(phone, recs(r).join('; ')).toBeDefined();
    expect(phone!.affectedQueries.some((q) => /OR phone/.test(q.query))).toBe(true);
    expect(phone!.evidence).toMatch(/pays together with public\.account\(email/);
  });

  it('plans a partitioned table despite executor pruning and recommends on the parent, partition by partition', () => {
    const ev = r.indexRecommendations.find((x) => x.table === 'public.ev');
    expect(ev, recs(r).join('; ')).toBeDefined();
    expect(ev!.columns[0]).toBe('tenant');
    expect(ev!.createSql).toContain('ON ONLY "public"."ev"');
    for (const p of ['ev_1', 'ev_2', 'ev_3']) {
      expect(ev!.createSql).toContain(`CREATE INDEX CONCURRENTLY "${p}_tenant`);
      expect(ev!.createSql).toMatch(new RegExp(`ATTACH PARTITION "public"\\."${p}_tenant`));
    }
    expect(ev!.evidence).toMatch(/partitioned/);
  });

  it('charges no write cost for DELETEs', () => {
    const purge = r.indexRecommendations.find((x) => x.table === 'public.purge');
    expect(purge, recs(r).join('; ')).toBeDefined();
    expect(purge!.writeRows).toBe(0);
    expect(purge!.evidence).toMatch(/Write cost charged: 0/);
  });

  it('creates the partitioned recommendation as written, and the planner then uses it', async () => {
    const ev = r.indexRecommendations.find((x) => x.table === 'public.ev')!;
    const c = new pg.Client({ connectionString: t.url });
    await c.connect();
    try {
      for (const stmt of ev.createSql.split(';\n')) await c.query(stmt);
      const valid = await c.query(
        `SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'ev'::regclass`,
      );
      expect(valid.rows.map((x) => x.indisvalid)).toEqual([true]);
      const plan = await c.query(
        `EXPLAIN (FORMAT JSON) SELECT id, kind FROM ev WHERE tenant = 5 AND created_at >= '2024-01-05' AND created_at < '2024-03-20'`,
      );
      expect(JSON.stringify(plan.rows[0]['QUERY PLAN'])).toMatch(/"Index Name":"ev_1_tenant/);
    } finally {
      await c.end();
    }
  });
});

describe.skipIf(!hasHypopg)('stale statistics', () => {
  let t: TestDatabase;
  afterAll(async () => {
    await t?.drop();
  });

  it('says which table to ANALYZE first when its statistics no longer describe it', async () => {
    t = await createTestDatabase(server);
    await exec(
      t.url,
      `CREATE TABLE job (id int PRIMARY KEY, state text, payload text) WITH (autovacuum_enabled = false);
       INSERT INTO job SELECT g, 'done', 'x' FROM generate_series(1, 50000) g;
       ANALYZE job;
       UPDATE job SET state = CASE WHEN id % 1000 = 0 THEN 'queued' ELSE 'state' || (id % 97) END;
       ${resetStatements};`,
    );
    await run(t.url, [['SELECT id FROM job WHERE state = $1', ['queued']]], 20);
    const r = await report(t.url);
    expect(r.advisor.staleStatistics.map((s) => s.table)).toEqual(['public.job']);
    expect(r.advisor.staleStatistics[0]!.modifiedSinceAnalyze).toBeGreaterThanOrEqual(50_000);
    expect(r.warnings.some((w) => /Statistics of public\.job are stale.*run ANALYZE public\.job first/.test(w))).toBe(
      true,
    );
    const finding = r.queryFindings.find((f) => f.kind === 'seq_scan_large_table' && f.query.includes('job'));
    if (finding) expect(finding.fix).toMatch(/Run ANALYZE job first/);
    await exec(t.url, 'ANALYZE job');
    const after = await report(t.url);
    expect(after.advisor.staleStatistics).toEqual([]);
  }, 120_000);
});

describe('the suite leaves its own statements out', () => {
  let t: TestDatabase;
  afterAll(async () => {
    await t?.drop();
  });

  it('tags what core sends, and excludes it and pg_dump COPY … TO stdout unless asked', async () => {
    t = await createTestDatabase(server);
    await exec(
      t.url,
      `CREATE TABLE own (id int PRIMARY KEY, v int); INSERT INTO own SELECT g, g FROM generate_series(1, 100) g;
       ${resetStatements};`,
    );
    const db = createDatabase(t.url);
    try {
      await db.query('SELECT count(*) FROM own WHERE v > $1', [3]);
    } finally {
      await db.close();
    }
    await run(
      t.url,
      [
        ['SELECT v FROM own WHERE id = $1', [1]],
        ['COPY public.own (id, v) TO stdout;', []],
      ],
      1,
    );
    const texts = (await exec(t.url, `SELECT query FROM pg_stat_statements WHERE query ~ 'own'`)).rows.map(
      (x) => x.query as string,
    );
    expect(texts).toContain('/* dbrs */ SELECT count(*) FROM own WHERE v > $1');
    const shown = (await report(t.url)).topQueries.map((q) => q.query);
    expect(shown.some((q) => q.includes('FROM own WHERE id'))).toBe(true);
    expect(shown.some((q) => q.includes('count(*) FROM own'))).toBe(false);
    expect(shown.some((q) => /^COPY/i.test(q))).toBe(false);
    const { DatabasePerformanceOptimizer } = await import('../src/index.js');
    // Enough rows that the report's own (now included) statements cannot crowd ours out of the list.
    const all = new DatabasePerformanceOptimizer(t.url, { includeSuiteStatements: true, topQueries: 1000 });
    try {
      const withOwn = (await all.getPerformanceReport()).topQueries.map((q) => q.query);
      expect(withOwn.some((q) => q.includes('count(*) FROM own'))).toBe(true);
      expect(withOwn.some((q) => /^COPY/i.test(q))).toBe(true);
    } finally {
      await all.close();
    }
  }, 120_000);
});
