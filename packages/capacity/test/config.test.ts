import { describe, expect, it } from 'vitest';
import { resolveCapacityConfig } from '../src/config.js';
import { DatabaseCapacityManager } from '../src/manager.js';

describe('capacity config', () => {
  it('documented defaults', () => {
    const c = resolveCapacityConfig();
    expect(c).toMatchObject({
      schema: 'dbrs',
      previousSchema: 'public',
      table: 'voicehive_capacity_samples',
      retention: { retentionDays: 400, rawDays: 14, hourlyDays: 90 },
      thresholds: {
        warningPercent: 80,
        criticalPercent: 90,
        daysWarning: 30,
        daysCritical: 7,
        connectionsWarningPercent: 80,
        connectionsCriticalPercent: 95,
        xidAgeWarning: 1_000_000_000,
        xidAgeCritical: 1_500_000_000,
      },
      hysteresis: { percentPoints: 5, daysFraction: 0.2, xidFraction: 0.05 },
      leaderLockName: 'voicehive-capacity:dbrs.voicehive_capacity_samples',
      leadership: 'hold',
      local: 'auto',
      topN: 10,
      forecast: { historyDays: 120 },
    });
  });

  it.each([
    [{ warningPercent: Number.NaN }, /warningPercent is null; expected a finite number > 0/],
    [{ warningPercent: 95 }, /warningPercent is 95; expected at most criticalPercent \(90\)/],
    [{ daysCritical: 40 }, /daysCritical is 40; expected at most daysWarning \(30\)/],
    [{ storageLimitBytes: 0 }, /storageLimitBytes is 0; expected a finite number > 0/],
    [{ storageLimitBytes: -5 }, /storageLimitBytes is -5/],
    [{ topN: 2.5 }, /topN is 2.5; expected a finite whole number > 0/],
    [{ table: '' }, /table is ""; expected an identifier of 1 to 63 characters/],
    [{ leadership: 'sometimes' }, /leadership is "sometimes"; expected 'hold' or 'per-write'/],
    [{ rawRetentionDays: 100 }, /rawRetentionDays is 100; expected at most hourlyRetentionDays/],
    [{ hysteresis: { percentPoints: -1 } }, /hysteresis.percentPoints is -1; expected a finite number ≥ 0/],
  ])('rejects %j with CONFIG_INVALID and a message naming the key', (cfg, msg) => {
    let err: unknown;
    try {
      resolveCapacityConfig(cfg as never);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', name: 'DbrsError' });
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).toMatch(/Fix .* in the DatabaseCapacityManager config/);
  });

  it('the manager validates before connecting, and never puts the password in an error', () => {
    expect(() => new DatabaseCapacityManager('postgres://u:s3cret@127.0.0.1:1/x', { criticalPercent: 50 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.not.stringContaining('s3cret') }),
    );
    expect(() => new DatabaseCapacityManager(42 as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
