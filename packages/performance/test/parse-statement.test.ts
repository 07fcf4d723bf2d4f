import { beforeAll, describe, expect, it } from 'vitest';
import { readStatementShape as parseStatement } from '../src/advisor/parse-statement.js';
import { buildResolveContext, resolveUsage } from '../src/advisor/resolve.js';
import type { IndexInfo, TableInfo } from '../src/catalog/catalog.js';
import { buildCandidates, coveringIndex, normalizeSql } from '../src/index.js';
import { loadParser } from '../src/sql/parser.js';

beforeAll(() => loadParser());

const table = (oid: number, name: string, reltuples = 100_000): TableInfo => ({
  oid,
  schema: 'public',
  name,
  reltuples,
  relpages: 1000,
  seqScan: 0,
  seqTupRead: 0,
  idxScan: 0,
  writes: 0,
  nLiveTup: reltuples,
});

function shapeOf(sql: string) {
  const out = parseStatement(sql);
  if (!out.ok) throw new Error(out.error);
  return out.shape;
}

describe('parseStatement', () => {
  it('reads equality, range, join, ORDER BY DESC and GROUP BY with aliases', () => {
    const s = shapeOf(
      'SELECT b.id FROM bookings b JOIN guests g ON g.id = b.guest_id WHERE b.status = $1 AND b.check_in_date >= $2 ORDER BY b.check_in_date DESC LIMIT $3',
    );
    expect(s.kind).toBe('select');
    expect(s.paramCount).toBe(3);
    expect(s.tables.map((t) => `${t.name}/${t.alias}`)).toEqual(['bookings/b', 'guests/g']);
    const uses = s.uses.map((u) => `${u.qualifier}.${u.column}:${u.kind}${u.direction ? `:${u.direction}` : ''}`);
    expect(uses).toEqual(
      expect.arrayContaining([
        'g.id:join',
        'b.guest_id:join',
        'b.status:eq',
        'b.check_in_date:range',
        'b.check_in_date:sort:DESC',
      ]),
    );
    const g = shapeOf('SELECT hotel_id, count(*) FROM call_sessions WHERE started_at >= $1 GROUP BY hotel_id');
    expect(g.uses).toContainEqual({ scope: 0, column: 'hotel_id', kind: 'group' });
  });

  it('treats IN, BETWEEN and IS NULL as index-usable and finds subqueries', () => {
    const s = shapeOf(
      'SELECT * FROM bookings WHERE status IN ($1, $2) AND check_in_date BETWEEN $3 AND $4 AND guest_id IS NULL AND EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = bookings.id AND p.status = $5)',
    );
    const kinds = s.uses.map((u) => `${u.column}:${u.kind}`);
    expect(kinds).toEqual(
      expect.arrayContaining(['status:eq', 'check_in_date:range', 'guest_id:eq', 'status:eq', 'booking_id:join']),
    );
    expect(s.tables.map((t) => t.name)).toEqual(['bookings', 'payments']);
  });

  it('flags predicates no B-tree can serve', () => {
    const s = shapeOf(
      "SELECT * FROM guests WHERE lower(email) = $1 OR last_name LIKE '%son' OR created_at::date = $2 OR phone = $3",
    );
    const kinds = s.nonSargable.map((n) => n.kind);
    expect(kinds).toContain('or_across_columns');
    const t = shapeOf(
      "SELECT * FROM guests WHERE lower(email) = $1 AND last_name LIKE '%son' AND created_at::date = $2",
    );
    expect(t.nonSargable.map((n) => n.kind).sort()).toEqual([
      'cast_on_column',
      'function_on_column',
      'leading_wildcard',
    ]);
    expect(t.uses.filter((u) => u.kind === 'eq')).toEqual([]);
  });

  it('reports a cartesian product', () => {
    expect(shapeOf('SELECT * FROM bookings, guests WHERE bookings.status = $1').crossJoinScopes).toEqual([0]);
    expect(shapeOf('SELECT * FROM bookings b, guests g WHERE g.id = b.guest_id').crossJoinScopes).toEqual([]);
  });

  it('reads UPDATE and DELETE targets', () => {
    expect(shapeOf('UPDATE bookings SET status = $2 WHERE id = $1').uses).toContainEqual({
      scope: 0,
      column: 'id',
      kind: 'eq',
      param: { number: 1, operator: '=' },
    });
    expect(shapeOf('UPDATE bookings SET status = $2 WHERE id = $1').target?.name).toBe('bookings');
    expect(shapeOf('DELETE FROM payments WHERE booking_id = $1').target?.name).toBe('payments');
    expect(shapeOf('INSERT INTO call_events (seq) VALUES ($1)').target?.name).toBe('call_events');
    expect(shapeOf('EXPLAIN SELECT 1 FROM bookings').kind).toBe('other');
  });

  it('rejects truncated text without throwing', () => {
    const out = parseStatement('SELECT id FROM bookings WHERE status = $1 AND check_in');
    expect(out.ok).toBe(true);
    const truncated = parseStatement('SELECT id FROM bookings WHERE status = $1 AND (check_in');
    expect(truncated.ok).toBe(false);
  });

  it('normalises literals away, including e-mail addresses', () => {
    const text = normalizeSql("SELECT * FROM guests WHERE email = 'jane.doe@example.com' AND id = 42");
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).not.toContain('42');
    expect(normalizeSql("SELECT 'x@y.z' FROM (")).not.toContain('x@y.z');
  });
});

describe('candidates and coverage', () => {
  const bookings = table(1, 'bookings');
  const guests = table(2, 'guests');
  const ctx = buildResolveContext(
    [bookings, guests],
    new Map([
      [1, new Map(['id', 'status', 'check_in_date', 'guest_id', 'hotel_id'].map((c) => [c, 'x']))],
      [2, new Map(['id', 'email'].map((c) => [c, 'x']))],
    ]),
  );
  const stats = (c: string) =>
    c === 'status'
      ? { nullFrac: 0, nDistinct: 5, avgWidth: 8 }
      : c === 'hotel_id'
        ? { nullFrac: 0, nDistinct: 50, avgWidth: 4 }
        : undefined;

  it('orders equality columns (most selective first), then range; an all-DESC sort becomes the ascending index a backward scan serves', () => {
    const [usage] = resolveUsage(
      shapeOf(
        'SELECT id FROM bookings WHERE status = $1 AND hotel_id = $2 AND check_in_date >= $3 ORDER BY check_in_date DESC',
      ),
      ctx,
    );
    const keys = buildCandidates(usage!, stats, { maxColumns: 3 }).map((c) => c.key);
    expect(keys).toContain('public.bookings(hotel_id, status, check_in_date)');
    expect(keys).toContain('public.bookings(hotel_id)');
    expect(keys.every((k) => !k.includes('id,') || k.includes('hotel_id'))).toBe(true);
  });

  it('resolves unqualified columns through the catalog and drops ambiguous ones', () => {
    const usages = resolveUsage(
      shapeOf('SELECT * FROM bookings b JOIN guests g ON g.id = b.guest_id WHERE email = $1 AND id = $2'),
      ctx,
    );
    const g = usages.find((u) => u.table.name === 'guests')!;
    expect(g.eq).toEqual(['email']);
    expect(usages.flatMap((u) => u.eq)).not.toContain('id');
  });

  it('treats an existing index as covering by prefix, equality columns in any order, and reversed sort', () => {
    const idx = (
      columns: string[],
      desc: boolean[] = columns.map(() => false),
      extra: Partial<IndexInfo> = {},
    ): IndexInfo => ({
      oid: 99,
      tableOid: 1,
      schema: 'public',
      table: 'bookings',
      name: 'i',
      am: 'btree',
      unique: false,
      primary: false,
      valid: true,
      partial: false,
      columns,
      desc,
      sizeBytes: 0,
      idxScan: 0,
      definition: '',
      constraintBacked: false,
      replicaIdentity: false,
      ...extra,
    });
    const [usage] = resolveUsage(
      shapeOf('SELECT id FROM bookings WHERE status = $1 AND hotel_id = $2 ORDER BY check_in_date DESC'),
      ctx,
    );
    const cands = buildCandidates(usage!, stats, { maxColumns: 3 });
    const full = cands.find((c) => c.columns.length === 3)!;
    expect(full.key).toBe('public.bookings(hotel_id, status, check_in_date)');
    expect(coveringIndex(full, [idx(['status', 'hotel_id', 'check_in_date', 'id'])])).toBeDefined();
    expect(coveringIndex(full, [idx(['status', 'hotel_id', 'check_in_date'], [true, true, true])])).toBeDefined();
    expect(coveringIndex(full, [idx(['status', 'check_in_date', 'hotel_id'])])).toBeUndefined();
    expect(
      coveringIndex(full, [idx(['status', 'hotel_id', 'check_in_date'], undefined, { partial: true })]),
    ).toBeUndefined();
    expect(
      coveringIndex(full, [idx(['status', 'hotel_id', 'check_in_date'], undefined, { valid: false })]),
    ).toBeUndefined();
    expect(
      coveringIndex(full, [idx(['status', 'hotel_id', 'check_in_date'], undefined, { am: 'hash' })]),
    ).toBeUndefined();
  });
});
