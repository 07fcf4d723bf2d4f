import { beforeAll, describe, expect, it } from 'vitest';
import { rankHeuristic } from '../src/advisor/heuristic.js';
import { readStatementShape as parseStatement } from '../src/advisor/parse-statement.js';
import type { PlanNode } from '../src/advisor/plan-session.js';
import { findingsFor } from '../src/analysis/plan-findings.js';
import type { IndexInfo, TableInfo } from '../src/catalog/catalog.js';
import { findDuplicateIndexes, findUnusedIndexes } from '../src/health/indexes.js';
import { advisePoolSizes } from '../src/pgbouncer/advice.js';
import { loadParser } from '../src/sql/parser.js';

beforeAll(() => loadParser());

const table = (name: string, reltuples: number): TableInfo => ({
  oid: 1,
  schema: 'public',
  name,
  reltuples,
  relpages: 100,
  seqScan: 0,
  seqTupRead: 0,
  idxScan: 0,
  writes: 0,
  nLiveTup: reltuples,
});
const node = (type: string, extra: Partial<PlanNode> = {}): PlanNode => ({
  'Node Type': type,
  'Total Cost': 100,
  'Plan Rows': 10,
  ...extra,
});

describe('plan findings', () => {
  const tables = new Map([['public.events', table('events', 1_000_000)]]);
  const shape = (sql: string) => {
    const p = parseStatement(sql);
    if (!p.ok) throw new Error(p.error);
    return p.shape;
  };

  it('names the statement, the node, why and what to change for each problem', () => {
    const plan = node('Nested Loop', {
      Plans: [
        node('Seq Scan', { 'Relation Name': 'events', 'Plan Rows': 500_000, Filter: '(lower(kind) = $1)' }),
        node('Index Scan', { 'Index Cond': '(x = y)' }),
      ],
    });
    const out = findingsFor(
      {
        queryHash: '42',
        query: "SELECT * FROM events WHERE lower(kind) = $1 AND note LIKE '%x'",
        shape: shape("SELECT * FROM events WHERE lower(kind) = $1 AND note LIKE '%x'"),
        plan,
        tempBlksWritten: 1280,
        calls: 10,
      },
      tables,
      10_000,
    );
    const byKind = Object.fromEntries(out.map((f) => [f.kind, f]));
    expect(byKind['seq_scan_large_table']).toMatchObject({ queryHash: '42', node: 'Seq Scan on public.events' });
    expect(byKind['nested_loop_large_outer']!.why).toMatch(/500000 rows/);
    expect(
      out
        .filter((f) => f.kind === 'non_sargable_predicate')
        .map((f) => f.why)
        .join(' '),
    ).toMatch(/lower.*wildcard/s);
    expect(byKind['temp_spill']).toMatchObject({ node: 'Sort or Hash', why: expect.stringMatching(/128 temp blocks/) });
    for (const f of out) expect(f.fix.length).toBeGreaterThan(10);
  });

  it('flags a join without a condition and estimate errors from EXPLAIN ANALYZE', () => {
    const sql = 'SELECT * FROM events, tenants WHERE events.kind = $1';
    const analyzed = node('Seq Scan', {
      'Relation Name': 'events',
      'Plan Rows': 100,
      'Actual Rows': 90_000,
      'Actual Loops': 1,
    });
    const out = findingsFor(
      {
        queryHash: '7',
        query: sql,
        shape: shape(sql),
        plan: undefined,
        tempBlksWritten: 0,
        calls: 1,
        analyzedPlan: analyzed,
      },
      tables,
      10_000,
    );
    expect(out.map((f) => f.kind).sort()).toEqual(['estimate_error', 'join_without_condition']);
    expect(out.find((f) => f.kind === 'estimate_error')!.fix).toMatch(/^ANALYZE "public"\."events"/);
  });
});

describe('index health rules', () => {
  const idx = (name: string, columns: (string | null)[], extra: Partial<IndexInfo> = {}): IndexInfo => ({
    oid: name.length,
    tableOid: 1,
    schema: 'public',
    table: 't',
    name,
    am: 'btree',
    unique: false,
    primary: false,
    valid: true,
    partial: false,
    columns,
    desc: columns.map(() => false),
    sizeBytes: 8192,
    idxScan: 0,
    definition: `CREATE INDEX ${name}`,
    constraintBacked: false,
    replicaIdentity: false,
    ...extra,
  });

  it('never reports constraint-backing indexes as unused or redundant', () => {
    const pk = idx('t_pkey', ['id'], { primary: true, unique: true, constraintBacked: true });
    const dupOfPk = idx('t_id_idx', ['id']);
    const uniqPrefix = idx('t_a_key', ['a'], { unique: true, constraintBacked: true });
    const wide = idx('t_a_b_idx', ['a', 'b'], { idxScan: 5 });
    expect(findUnusedIndexes([pk, dupOfPk, uniqPrefix, wide], null).map((u) => u.index)).toEqual(['t_id_idx']);
    const dups = findDuplicateIndexes([pk, dupOfPk, uniqPrefix, wide]);
    expect(dups.map((d) => `${d.index}<${d.coveredBy}`)).toEqual(['t_id_idx<t_pkey']);
  });

  it('does not treat different directions, partial or expression indexes as duplicates', () => {
    const a = idx('t_a_idx', ['a']);
    const aDesc = idx('t_a_desc_idx', ['a', 'b'], { desc: [true, false] });
    const partial = idx('t_a_part_idx', ['a', 'c'], { partial: true });
    const expr = idx('t_expr_idx', [null]);
    expect(findDuplicateIndexes([a, aDesc, partial, expr])).toEqual([]);
  });
});

describe('heuristic advice and pool advice', () => {
  it('ranks selective leading columns and skips unselective or unknown ones', () => {
    const cand = (name: string, eq = 1) => ({
      key: name,
      tableOid: 1,
      schema: 'public',
      table: 't',
      columns: [{ name, desc: false }],
      eqCount: eq,
      servesSort: false,
    });
    const stats = (c: string) =>
      c === 'email'
        ? { nullFrac: 0, nDistinct: -1, avgWidth: 20 }
        : c === 'status'
          ? { nullFrac: 0, nDistinct: 3, avgWidth: 8 }
          : undefined;
    const picks = rankHeuristic(
      ['email', 'status', 'unknown'].map((c) => ({ candidate: cand(c), reltuples: 100_000, calls: 10, stats })),
      5,
    );
    expect(picks.map((p) => p.candidate.key)).toEqual(['email']);
  });

  it('suggests a larger pool when clients wait and a smaller one when servers idle', () => {
    const snap = {
      pools: [
        {
          database: 'busy',
          user: 'app',
          clActive: 4,
          clWaiting: 6,
          svActive: 4,
          svIdle: 0,
          svUsed: 0,
          svTested: 0,
          svLogin: 0,
          maxwaitSeconds: 2.5,
          poolMode: 'transaction',
        },
        {
          database: 'idle',
          user: 'app',
          clActive: 1,
          clWaiting: 0,
          svActive: 1,
          svIdle: 30,
          svUsed: 0,
          svTested: 0,
          svLogin: 0,
          maxwaitSeconds: 0,
          poolMode: 'transaction',
        },
        {
          database: 'pgbouncer',
          user: 'pgbouncer',
          clActive: 1,
          clWaiting: 0,
          svActive: 0,
          svIdle: 0,
          svUsed: 0,
          svTested: 0,
          svLogin: 0,
          maxwaitSeconds: 0,
          poolMode: 'statement',
        },
      ],
      stats: [],
      clients: { total: 0, byState: {} },
      config: { default_pool_size: '20' },
      poolSizes: { busy: 4, idle: 40 },
      readAt: '',
    };
    const advice = advisePoolSizes(snap);
    expect(advice.map((a) => [a.database, a.action, a.suggestedPoolSize])).toEqual([
      ['busy', 'increase', 10],
      ['idle', 'decrease', 5],
    ]);
  });
});
