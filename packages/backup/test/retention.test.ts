import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionCandidate } from '../src/retention/plan.js';

const now = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;

/** One backup per day for `days` days, newest first, at 03:00 UTC. */
function daily(days: number, database = 'hotel', verifiedIdx: number[] = []): RetentionCandidate[] {
  return Array.from({ length: days }, (_, i) => {
    const at = new Date(Date.UTC(2026, 10, 26, 3) - i * DAY);
    return {
      backupId: `b${String(i).padStart(3, '0')}`,
      database,
      startedAt: at,
      storedBytes: 100,
      verified: verifiedIdx.includes(i),
    };
  });
}

const ids = (list: { backupId: string }[]) => list.map((b) => b.backupId).sort();

describe('planRetention', () => {
  it('keeps everything when no rule is configured', () => {
    const plan = planRetention(daily(10), [], {}, now);
    expect(plan.delete).toEqual([]);
    expect(plan.keep).toHaveLength(10);
  });

  it('keepLast keeps the newest N', () => {
    const plan = planRetention(daily(10), [], { keepLast: 3 }, now);
    expect(ids(plan.keep)).toEqual(['b000', 'b001', 'b002']);
    expect(plan.delete).toHaveLength(7);
  });

  it('retentionDays keeps backups younger than the cutoff', () => {
    const plan = planRetention(daily(10), [], { retentionDays: 3 }, now);
    // 03:00 today, yesterday, 2 and 3 days ago at 03:00: the last is 3 days 9 h old → deleted.
    expect(ids(plan.keep)).toEqual(['b000', 'b001', 'b002']);
  });

  it('never deletes the newest verified backup, even when every rule would', () => {
    const plan = planRetention(daily(40, 'hotel', [20]), [], { keepLast: 2 }, now);
    expect(ids(plan.keep)).toEqual(['b000', 'b001', 'b020']);
    expect(plan.keep.find((k) => k.backupId === 'b020')!.keptBecause).toContain('newest verified');
  });

  it('always keeps the newest backup even with keepLast 0', () => {
    const plan = planRetention(daily(5), [], { keepLast: 0, retentionDays: 0 }, now);
    expect(ids(plan.keep)).toEqual(['b000']);
  });

  it('GFS keeps the newest of each of the last N days, ISO weeks and months', () => {
    // 100 daily backups from 2026-11-26 back to 2026-08-19.
    const plan = planRetention(daily(100), [], { gfs: { daily: 7, weekly: 4, monthly: 3 } }, now);
    const keptDates = plan.keep
      .map((k) =>
        daily(100)
          .find((b) => b.backupId === k.backupId)!
          .startedAt.toISOString()
          .slice(0, 10),
      )
      .sort();
    expect(keptDates).toEqual([
      '2026-09-30', // newest of September (monthly)
      '2026-10-31', // newest of October (monthly)
      '2026-11-08', // Sunday ending ISO week 45 (weekly: weeks 48, 47, 46, 45)
      '2026-11-15', // week 46
      '2026-11-20',
      '2026-11-21',
      '2026-11-22', // also week 47's newest
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26', // newest: daily, weekly 48, monthly November
    ]);
    expect(plan.delete).toHaveLength(100 - 11);
  });

  it('several backups on one day: GFS daily keeps only the newest of that day', () => {
    const list: RetentionCandidate[] = [0, 1, 2].map((h) => ({
      backupId: `h${h}`,
      database: 'hotel',
      startedAt: new Date(Date.UTC(2026, 10, 26, 10 - h)),
      storedBytes: 1,
      verified: false,
    }));
    const plan = planRetention(list, [], { gfs: { daily: 1 } }, now);
    expect(ids(plan.keep)).toEqual(['h0']);
  });

  it('applies rules per database', () => {
    const plan = planRetention(
      [...daily(5, 'a'), ...daily(5, 'b').map((b) => ({ ...b, backupId: `x${b.backupId}` }))],
      [],
      { keepLast: 1 },
      now,
    );
    expect(ids(plan.keep)).toEqual(['b000', 'xb000']);
  });

  it('incomplete folders go only after the grace period', () => {
    const incomplete = [
      { backupId: 'old', database: 'hotel', lastModified: new Date(now.getTime() - 2 * DAY), bytes: 5 },
      { backupId: 'fresh', database: 'hotel', lastModified: new Date(now.getTime() - 3_600_000), bytes: 5 },
    ];
    expect(planRetention([], incomplete, {}, now).incomplete.map((i) => i.backupId)).toEqual(['old']);
    expect(planRetention([], incomplete, { incompleteGraceMs: 60_000 }, now).incomplete.map((i) => i.backupId)).toEqual(
      ['old', 'fresh'],
    );
  });

  describe('incremental chains', () => {
    /** b000 ← b001 ← b002 (incrementals, newest first) on the full b003; b004 an older full. */
    const chain = (): RetentionCandidate[] =>
      daily(5).map((b, i) => (i < 3 ? { ...b, parentBackupId: `b00${i + 1}` } : b));

    it('a kept incremental keeps every backup below it, each saying why; the rest go', () => {
      const plan = planRetention(chain(), [], { keepLast: 1 }, now);
      expect(ids(plan.keep)).toEqual(['b000', 'b001', 'b002', 'b003']);
      expect(ids(plan.delete)).toEqual(['b004']);
      const why = Object.fromEntries(plan.keep.map((d) => [d.backupId, d.keptBecause]));
      expect(why['b001']).toEqual(['parent of incremental b000']);
      expect(why['b002']).toEqual(['parent of incremental b001']);
      expect(why['b003']).toEqual(['parent of incremental b002']);
    });

    it('a deleted incremental keeps nothing; a chain kept by two rules is named once per child', () => {
      // keepLast 2 keeps b000 and b001: b001 keeps b002 → b003 once; b004 goes.
      const plan = planRetention(chain(), [], { keepLast: 2 }, now);
      expect(ids(plan.delete)).toEqual(['b004']);
      expect(plan.keep.find((d) => d.backupId === 'b001')!.keptBecause).toEqual([
        'keepLast (#2)',
        'parent of incremental b000',
      ]);
      expect(plan.keep.find((d) => d.backupId === 'b002')!.keptBecause).toEqual(['parent of incremental b001']);
      // Only the full b004 and its incremental on top of it, newest is a full: the old chain goes whole.
      const fullNewest = daily(3).map((b, i) => (i === 1 ? { ...b, parentBackupId: 'b002' } : b));
      const p2 = planRetention(fullNewest, [], { keepLast: 1 }, now);
      expect(ids(p2.keep)).toEqual(['b000']);
      expect(ids(p2.delete)).toEqual(['b001', 'b002']);
    });

    it('a parent missing from the catalog or a cycle does not stop the plan', () => {
      const orphan = daily(2).map((b, i) => (i === 0 ? { ...b, parentBackupId: 'gone' } : b));
      const p1 = planRetention(orphan, [], { keepLast: 1 }, now);
      expect(ids(p1.keep)).toEqual(['b000']);
      expect(ids(p1.delete)).toEqual(['b001']);
      const cycle = daily(3).map((b, i) => (i < 2 ? { ...b, parentBackupId: `b00${1 - i}` } : b));
      const p2 = planRetention(cycle, [], { keepLast: 1 }, now);
      expect(ids(p2.keep)).toEqual(['b000', 'b001']);
      expect(ids(p2.delete)).toEqual(['b002']);
    });
  });
});
