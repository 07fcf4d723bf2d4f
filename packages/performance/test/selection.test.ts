import { describe, expect, it } from 'vitest';
import { servedByAnother } from '../src/advisor/configuration.js';
import type { StatementStats } from '../src/index.js';
import { SnapshotStore, selectGreedy, statementColumns } from '../src/index.js';

describe('selectGreedy', () => {
  const c = (
    key: string,
    table: string,
    columns: string[],
    costs: Record<string, number>,
    sizeBytes = 1000,
    writePenalty = 0,
  ) => ({
    key,
    tableKey: table,
    columns,
    sizeBytes,
    writePenalty,
    costs: new Map(Object.entries(costs)),
  });
  const statements = [
    { id: 'a', weight: 100, baseCost: 1000 },
    { id: 'b', weight: 10, baseCost: 500 },
  ];

  it('prefers the candidate that saves the most weighted cost and drops an index another chosen one starts with', () => {
    const picks = selectGreedy(
      statements,
      [
        c('t(x)', 't', ['x'], { a: 100 }),
        c('t(x, y)', 't', ['x', 'y'], { a: 10, b: 400 }),
        c('u(z)', 'u', ['z'], { b: 5 }),
      ],
      { maxIndexes: 5, maxTotalBytes: 1e9, minStatementImprovement: 0.2 },
    );
    expect(picks.map((p) => p.key)).toEqual(['t(x, y)', 'u(z)']);
    expect(picks[0]!.marginalBenefit).toBe(100_000);
  });

  it('respects count and size budgets, the write penalty and the minimum improvement', () => {
    const cands = [c('t(x)', 't', ['x'], { a: 100 }, 5000), c('u(z)', 'u', ['z'], { b: 5 }, 10)];
    expect(
      selectGreedy(statements, cands, { maxIndexes: 1, maxTotalBytes: 1e9, minStatementImprovement: 0.2 }).map(
        (p) => p.key,
      ),
    ).toEqual(['t(x)']);
    expect(
      selectGreedy(statements, cands, { maxIndexes: 5, maxTotalBytes: 100, minStatementImprovement: 0.2 }).map(
        (p) => p.key,
      ),
    ).toEqual(['u(z)']);
    const heavy = [c('t(x)', 't', ['x'], { a: 100 }, 10, 1e9)];
    expect(
      selectGreedy(statements, heavy, { maxIndexes: 5, maxTotalBytes: 1e9, minStatementImprovement: 0.2 }),
    ).toEqual([]);
    expect(
      selectGreedy([{ id: 'a', weight: 1e6, baseCost: 12 }], [c('t(x)', 't', ['x'], { a: 5 })], {
        maxIndexes: 5,
        maxTotalBytes: 1e9,
        minStatementImprovement: 0.2,
        minSavingPerCall: 10,
      }),
    ).toEqual([]);
    const slight = [c('t(x)', 't', ['x'], { a: 900 })];
    expect(
      selectGreedy(statements, slight, { maxIndexes: 5, maxTotalBytes: 1e9, minStatementImprovement: 0.2 }),
    ).toEqual([]);
  });
});

describe('pg_stat_statements columns by extension version', () => {
  it('uses total_time before 1.8, total_exec_time after, and the PG17 block-time names from 1.11', () => {
    expect(statementColumns('1.7')).toContain('total_time AS total_exec_ms');
    expect(statementColumns('1.7')).toContain('true AS toplevel');
    expect(statementColumns('1.8')).toContain('total_exec_time AS total_exec_ms');
    expect(statementColumns('1.9')).toMatch(/(^|, )toplevel/);
    expect(statementColumns('1.10')).toContain('blk_read_time + temp_blk_read_time');
    const v111 = statementColumns('1.11');
    expect(v111).toContain('shared_blk_read_time + local_blk_read_time');
    expect(v111).not.toMatch(/(^|[(, ])blk_read_time/);
  });
});

describe('SnapshotStore', () => {
  const entry = (calls: number, total: number): StatementStats => ({
    queryid: '1',
    userid: 10,
    toplevel: true,
    query: 'SELECT $1',
    calls,
    totalExecMs: total,
    totalPlanMs: 0,
    meanExecMs: total / calls,
    maxExecMs: 0,
    rows: calls,
    sharedBlksHit: 0,
    sharedBlksRead: 0,
    tempBlksWritten: 0,
    blkReadTimeMs: 0,
    blkWriteTimeMs: 0,
  });
  it('diffs consecutive snapshots and treats counters going backwards as a fresh entry', () => {
    const store = new SnapshotStore(3);
    store.add([entry(10, 100)]);
    expect(store.latestDeltas()).toEqual([]);
    store.add([entry(15, 1100)]);
    expect(store.latestDeltas()[0]).toMatchObject({ calls: 5, totalExecMs: 1000, meanExecMs: 200 });
    store.add([entry(2, 50)]);
    expect(store.latestDeltas()[0]).toMatchObject({ calls: 2, totalExecMs: 50 });
    store.add([entry(2, 50)]);
    expect(store.latestDeltas()).toEqual([]);
    expect(store.size).toBe(3);
  });
});

describe('servedByAnother (configuration-aware selection)', () => {
  const ch = (columns: string[], include?: string[], tableKey = 'public.t') => ({
    tableKey,
    definitions: ['x'],
    columns,
    ...(include ? { include } : {}),
  });

  it('drops an index another chosen one serves: longer keys, or the same keys with more INCLUDE columns', () => {
    const plain = ch(['hotel_id', 'started_at']);
    const covering = ch(['hotel_id', 'started_at'], ['duration_seconds']);
    const longer = ch(['hotel_id', 'started_at', 'status']);
    expect(servedByAnother(plain, [plain, covering])).toBe(true);
    expect(servedByAnother(covering, [plain, covering])).toBe(false);
    expect(servedByAnother(plain, [plain, longer])).toBe(true);
    expect(servedByAnother(longer, [plain, longer])).toBe(false);
    // Other keys, another table, or an INCLUDE the other does not have: both stay.
    expect(servedByAnother(ch(['started_at']), [ch(['started_at']), covering])).toBe(false);
    expect(servedByAnother(plain, [plain, ch(['hotel_id', 'started_at'], ['x'], 'public.u')])).toBe(false);
    const other = ch(['hotel_id', 'started_at'], ['amount']);
    expect(servedByAnother(other, [other, covering])).toBe(false);
  });
});
