import { describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../src/alerts/evaluate.js';
import { AlertState } from '../src/alerts/hysteresis.js';
import { DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS } from '../src/alerts/types.js';
import { forecastSeries } from '../src/forecast/forecast.js';
import { syntheticSeries } from '../src/forecast/synthetic.js';

const DAY = 86_400_000;
const GiB = 2 ** 30;

function storage(usagePercent: number | null, daysUntilFull: number | null = null) {
  return { storage: { usagePercent, daysUntilFull, usedBytes: null, limitBytes: null } };
}

describe('capacity alerts', () => {
  it('usage: 79% nothing, 80% warning, 90% critical (one alert per metric, the most severe)', () => {
    const run = (p: number) =>
      evaluateAlerts(storage(p), DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS, new AlertState());
    expect(run(79.9)).toEqual([]);
    expect(run(80)).toMatchObject([{ type: 'warning', metric: 'storage_usage_percent', value: 80, threshold: 80 }]);
    const crit = run(93.5);
    expect(crit).toHaveLength(1);
    expect(crit[0]).toMatchObject({ type: 'critical', threshold: 90, value: 93.5, resource: 'storage' });
    expect(crit[0]!.message).toBe('Storage is 93.5% full, at or above the critical threshold of 90%.');
  });

  it('days until full: < 30 warning, < 7 critical; connections ≥ 80%; xid age beyond its threshold', () => {
    const st = new AlertState();
    const alerts = evaluateAlerts(
      {
        ...storage(50, 6.5),
        connections: { usagePercent: 85, used: 85, max: 100 },
        xid: { age: 1_600_000_000, daysUntilWraparound: 25 },
      },
      DEFAULT_ALERT_THRESHOLDS,
      DEFAULT_HYSTERESIS,
      st,
    );
    const by = Object.fromEntries(alerts.map((a) => [a.metric, a.type]));
    expect(by).toEqual({
      storage_days_until_full: 'critical',
      connections_usage_percent: 'warning',
      xid_age: 'critical',
      xid_days_until_wraparound: 'warning',
    });
    expect(
      evaluateAlerts(storage(50, 29), DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS, new AlertState())[0]!.type,
    ).toBe('warning');
    expect(evaluateAlerts(storage(50, 31), DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS, new AlertState())).toEqual([]);
  });

  it('hysteresis: usage hovering 79–81% fires once and holds; clears only below 75%', () => {
    const st = new AlertState();
    const seq = [79, 80.5, 79.5, 80.2, 78, 76, 75.5, 74.9, 79, 80];
    const fired = seq.map((p) => evaluateAlerts(storage(p), DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS, st).length);
    expect(fired).toEqual([0, 1, 1, 1, 1, 1, 1, 0, 0, 1]);
    // Without hysteresis the same sequence flaps on every sample.
    const flappy = new AlertState();
    const noMargin = { ...DEFAULT_HYSTERESIS, percentPoints: 0 };
    const flaps = seq.map((p) => evaluateAlerts(storage(p), DEFAULT_ALERT_THRESHOLDS, noMargin, flappy).length);
    expect(flaps).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
  });

  it('hysteresis on days: a warning at 29 days holds at 33 and clears above 36 (30 × 1.2)', () => {
    const st = new AlertState();
    const seq = [29, 33, 35.9, 36.1, 31];
    expect(
      seq.map((d) => evaluateAlerts(storage(10, d), DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS, st).length),
    ).toEqual([1, 1, 1, 0, 0]);
  });

  it('alert timing on a linear series: critical fires no later than 7 days before the truth hits the limit, and at most 3 days earlier', () => {
    // 10 GiB growing 100 MiB/day with 0.2% noise; limit reached at day 100 exactly.
    const limit = 10 * GiB + 100 * 100 * 2 ** 20;
    const s = syntheticSeries('linear', { days: 100, perDay: 24 });
    const t0 = s.points[0]!.t;
    const st = new AlertState();
    let firstWarning: number | undefined;
    let firstCritical: number | undefined;
    for (let day = 14; day <= 99; day++) {
      const now = t0 + day * DAY;
      const hist = s.points.filter((p) => p.t <= now);
      const f = forecastSeries(hist, { now, limit });
      const last = hist.at(-1)!;
      const alerts = evaluateAlerts(
        {
          storage: {
            usagePercent: (100 * last.v) / limit,
            daysUntilFull: f.daysUntilLimit.pessimistic,
            usedBytes: last.v,
            limitBytes: limit,
          },
        },
        { ...DEFAULT_ALERT_THRESHOLDS, warningPercent: 99, criticalPercent: 100 },
        DEFAULT_HYSTERESIS,
        st,
      );
      const days = alerts.find((a) => a.metric === 'storage_days_until_full');
      if (days?.type === 'warning' && firstWarning === undefined) firstWarning = day;
      if (days?.type === 'critical' && firstCritical === undefined) firstCritical = day;
    }
    expect(firstWarning).toBeDefined();
    expect(firstWarning!).toBeLessThanOrEqual(70);
    expect(firstWarning!).toBeGreaterThanOrEqual(67);
    expect(firstCritical!).toBeLessThanOrEqual(93);
    expect(firstCritical!).toBeGreaterThanOrEqual(90);
  });
});
