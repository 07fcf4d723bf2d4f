import { describe, expect, it } from 'vitest';
import { observedSelectivity, type QualPredicate, qualstatsEvidence } from '../src/advisor/qualstats.js';
import { DEFAULT_ADVISOR, resolveOptions } from '../src/options.js';

const pred = (over: Partial<QualPredicate>): QualPredicate => ({
  queryid: '1',
  tableOid: 100,
  column: 'email',
  operator: '=',
  kind: 'eq',
  evalType: 'f',
  occurrences: 10,
  executions: 1000,
  filtered: 990,
  alone: true,
  ...over,
});

describe('pg_qualstats helpers', () => {
  it('takes observed selectivity only from filters that were alone in their scan', () => {
    const sel = observedSelectivity([
      pred({}),
      pred({ queryid: '2', executions: 1000, filtered: 970 }),
      // ANDed: pg_qualstats charges it with the whole scan's filtering, so it says nothing about status alone.
      pred({ column: 'status', alone: false, filtered: 999 }),
      // Served by an index: nbfiltered is ~0 and not a selectivity.
      pred({ column: 'id', evalType: 'i', filtered: 0 }),
      pred({ column: 'guest_id', kind: 'join' }),
    ]);
    expect(sel.get('100.email')).toBeCloseTo(0.02, 10);
    expect([...sel.keys()]).toEqual(['100.email']);
  });

  it('quotes the counts of the statements an index serves only', () => {
    const preds = [pred({}), pred({ queryid: '2', executions: 5000, filtered: 0, evalType: 'i' })];
    expect(qualstatsEvidence(preds, 100, ['email'], new Set(['1']))).toBe(
      'pg_qualstats: email = evaluated on 1000 row(s), removing 99.0% as a filter (no index served it).',
    );
    expect(qualstatsEvidence(preds, 100, ['email'], new Set(['1', '2']))).toBe(
      'pg_qualstats: email = evaluated on 6000 row(s), removing 16.5%.',
    );
    expect(qualstatsEvidence(preds, 101, ['email'], new Set(['1']))).toBeUndefined();
  });
});

describe('advisor options', () => {
  it('drops recommendations below 0.01% of the workload by default and rejects a share of 1 or more', () => {
    expect(DEFAULT_ADVISOR.minCostReduction).toBe(0.0001);
    expect(resolveOptions().advisor.minCostReduction).toBe(0.0001);
    expect(resolveOptions({ advisor: { minCostReduction: 0 } }).advisor.minCostReduction).toBe(0);
    expect(() => resolveOptions({ advisor: { minCostReduction: 5 } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/below 1.*got 5/) }),
    );
    expect(resolveOptions().advisor.useQualstats).toBe(true);
  });
});
