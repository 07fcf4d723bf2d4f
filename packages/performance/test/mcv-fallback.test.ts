import { describe, expect, it } from 'vitest';
import { readStatementShape } from '../src/advisor/parse-statement.js';
import { bindKnownValues } from '../src/advisor/plan-session.js';
import { describeAssumed, mcvValue, representativeValues } from '../src/advisor/sampled-values.js';
import { parseArrayText } from '../src/catalog/catalog.js';
import { loadParser } from '../src/sql/parser.js';

describe('most-common-values fallback (no pg_qualstats)', () => {
  it('reads pg_stats array text, refusing what it cannot read exactly', () => {
    expect(parseArrayText('{done,pending,"a b","say \\"hi\\"",NULL}')).toEqual([
      'done',
      'pending',
      'a b',
      'say "hi"',
      null,
    ]);
    expect(parseArrayText('{{1,2},{3,4}}')).toBeUndefined();
    expect(parseArrayText('{"open')).toBeUndefined();
    expect(parseArrayText('done')).toBeUndefined();
  });

  it('assumes the rarest common value that still explains the rows each call returned', () => {
    const facts = {
      reltuples: 200_000,
      type: 'text',
      mcv: [
        { value: 'done', freq: 0.99 },
        { value: 'pending', freq: 0.006 },
        { value: 'failed', freq: 0.004 },
      ],
    };
    // ~80 rows per call: every value could explain it; the rarest is the tightest.
    expect(mcvValue(facts, 80)).toEqual({ literal: "'failed'::text", freq: 0.004 });
    // 1,000 rows per call: 'failed' (800 rows) cannot, 'pending' (1,200) can.
    expect(mcvValue(facts, 1000)?.literal).toBe("'pending'::text");
    // 50,000 rows per call: only the dominant value.
    expect(mcvValue(facts, 50_000)?.literal).toBe("'done'::text");
    // More rows than any value has: no assumption (the value is not among the common ones).
    expect(mcvValue(facts, 250_000)).toBeUndefined();
    expect(mcvValue({ ...facts, mcv: [{ value: "it's", freq: 0.5 }] }, 1)?.literal).toBe("'it''s'::text");
  });

  it('binds the known values as literals and renumbers the parameters left', () => {
    expect(bindKnownValues('SELECT 1 FROM t WHERE a = $1 AND b >= $2 AND c < $3', ["'x'::text", null, null])).toEqual({
      text: "SELECT 1 FROM t WHERE a = ('x'::text) AND b >= $1 AND c < $2",
      paramCount: 2,
    });
    expect(bindKnownValues('SELECT $10, $1', [...Array(9).fill(null), '5'] as (string | null)[]).text).toBe(
      'SELECT (5), $1',
    );
  });
});

describe('assumed values in reports', () => {
  it("withholds a sampled value that is not one of the column's common values (an e-mail), shows a category", async () => {
    await loadParser();
    const out = readStatementShape(
      'SELECT 1 FROM guests WHERE email = $1 AND status = $2 AND pg_sleep($3) IS NOT NULL',
    );
    if (!out.ok) throw new Error(out.error);
    const sampled = new Map([
      [
        'q1',
        [
          { queryid: 'q1', column: 'email', operator: '=', value: "'someone@example.com'::text", occurrences: 4 },
          { queryid: 'q1', column: 'status', operator: '=', value: "'vip'::text", occurrences: 4 },
        ],
      ],
    ]);
    const rep = representativeValues({
      shape: out.shape,
      queryid: 'q1',
      sampled,
      rowsPerCall: 1,
      mcvFor: (column) =>
        column === 'status' ? { reltuples: 1000, type: 'text', mcv: [{ value: 'vip', freq: 0.1 }] } : undefined,
    })!;
    // The third parameter (pg_sleep) has no value: it stays a parameter.
    expect(rep.values).toEqual(["'someone@example.com'::text", "'vip'::text", null]);
    const text = describeAssumed(rep.assumed);
    expect(text).not.toContain('someone@example.com');
    expect(text).toContain('email = <withheld>');
    expect(text).toContain("status = 'vip'::text");
  });
});
