import { describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../src/alerts/evaluate.js';
import { AlertState } from '../src/alerts/hysteresis.js';
import { DEFAULT_ALERT_THRESHOLDS, DEFAULT_HYSTERESIS } from '../src/alerts/types.js';
import { cleanSeries } from '../src/forecast/clean.js';
import { forecastSeries } from '../src/forecast/forecast.js';
import { seededRandom, syntheticSeries } from '../src/forecast/synthetic.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

/** Every number anywhere in the value is finite. */
function allFinite(value: unknown, path = '$'): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = allFinite(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      const bad = allFinite(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return null;
}

const GARBAGE_VALUES: unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  null,
  undefined,
  'abc',
  '',
  {},
  [],
  true,
  -5,
  0,
  1e300,
  -1e300,
  '12345',
  10n ** 30n,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
];
const GARBAGE_TIMES: unknown[] = [
  Number.NaN,
  null,
  'yesterday',
  0,
  -1,
  1e20,
  '2026-13-45',
  NOW + 400 * DAY,
  new Date(Number.NaN),
  Number.POSITIVE_INFINITY,
];

function garbageSeries(rand: () => number): unknown[] {
  const n = Math.floor(rand() * 400);
  const base = NOW - Math.floor(rand() * 90) * DAY;
  const shape = Math.floor(rand() * 5);
  const out: unknown[] = [];
  let t = base;
  for (let i = 0; i < n; i++) {
    const r = rand();
    // Clock jumps back and forth, duplicated stamps, irregular gaps.
    if (r < 0.05) t -= rand() * 3 * DAY;
    else if (r < 0.1) t += 0;
    else t += rand() * 6 * 3_600_000;
    const v =
      shape === 0
        ? 1e9 + i * 1e6
        : shape === 1
          ? 42
          : shape === 2
            ? rand() * 1e12
            : shape === 3
              ? i % 2
                ? 0
                : 1e-300
              : 1e15 * Math.exp(i / 10);
    const badV = rand() < 0.15;
    const badT = rand() < 0.1;
    out.push({
      t: badT
        ? GARBAGE_TIMES[Math.floor(rand() * GARBAGE_TIMES.length)]
        : rand() < 0.3
          ? new Date(t)
          : rand() < 0.5
            ? new Date(t).toISOString()
            : t,
      v: badV ? GARBAGE_VALUES[Math.floor(rand() * GARBAGE_VALUES.length)] : v,
    });
  }
  if (rand() < 0.1) out.push(null, 7, 'x');
  return out;
}

describe('bad input never yields NaN or Infinity', () => {
  it('300 random garbage series (bad values, bad stamps, clock jumps, duplicates, limits 0/unknown/NaN): outputs and alerts all finite', () => {
    const rand = seededRandom(20261126);
    const limits: unknown[] = [0, -1, null, undefined, Number.NaN, Number.POSITIVE_INFINITY, 1e12, 50, '1000'];
    let forecasts = 0;
    for (let i = 0; i < 300; i++) {
      const series = garbageSeries(rand);
      const limit = limits[i % limits.length] as number;
      const f = forecastSeries(series as never, { now: NOW, limit, thresholdsPercent: [80, 90, Number.NaN, -3] });
      expect(allFinite(f), `series ${i}`).toBeNull();
      if (f.status === 'ok' || f.status === 'no_growth') forecasts++;
      const state = new AlertState();
      const alerts = evaluateAlerts(
        {
          storage: {
            usagePercent: f.usagePercent,
            daysUntilFull: f.daysUntilLimit.pessimistic,
            usedBytes: f.current,
            limitBytes: f.limit,
          },
          connections: { usagePercent: Number.NaN, used: null, max: 0 },
          xid: { age: Number.POSITIVE_INFINITY, daysUntilWraparound: f.daysUntilLimit.expected },
        },
        DEFAULT_ALERT_THRESHOLDS,
        DEFAULT_HYSTERESIS,
        state,
      );
      expect(allFinite(alerts), `alerts ${i}`).toBeNull();
      for (const a of alerts) expect(a.message).not.toMatch(/NaN|Infinity/);
    }
    // The generator must exercise the forecasting path, not only the early exits.
    expect(forecasts).toBeGreaterThan(50);
  });

  it('cleaning: sorts clock jumps, averages duplicated stamps, drops future and unparseable samples with counts', () => {
    const r = cleanSeries(
      [
        { t: NOW - 2 * DAY, v: 10 },
        { t: NOW - 3 * DAY, v: 5 },
        { t: NOW - 2 * DAY, v: 20 },
        { t: NOW + 30 * DAY, v: 99 },
        { t: 'garbage', v: 1 },
        { t: NOW - DAY, v: 'NaN' },
        { t: new Date(NOW - DAY).toISOString(), v: '30' },
      ],
      { now: NOW },
    );
    expect(r.points).toEqual([
      { t: NOW - 3 * DAY, v: 5 },
      { t: NOW - 2 * DAY, v: 15 },
      { t: NOW - DAY, v: 30 },
    ]);
    expect(r.dropped).toEqual({ duplicate: 1, clock_jump: 1, bad_timestamp: 1, bad_value: 1 });
    expect(r.reordered).toBe(true);
  });

  it('a limit of zero or unknown gives growth but no usage or days-until, and says the limit is unknown', () => {
    const s = syntheticSeries('linear', { days: 20 });
    for (const limit of [0, null, undefined, Number.NaN, -10]) {
      const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, limit });
      expect(f.growthPerDay!).toBeGreaterThan(0);
      expect(f.usagePercent).toBeNull();
      expect(f.daysUntilLimit).toEqual({ expected: null, pessimistic: null, reason: 'limit unknown' });
      expect(f.thresholds).toEqual([]);
    }
  });

  it('a series already past its limit reports 0 days, not a negative number', () => {
    const s = syntheticSeries('linear', { days: 20 });
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, limit: 1 });
    expect(f.daysUntilLimit.expected).toBe(0);
    expect(f.daysUntilLimit.pessimistic).toBe(0);
  });

  it('a shrinking series produces no days-until-full and says it is not growing', () => {
    const s = syntheticSeries('linear', { days: 20, growthPerDay: -100 * 2 ** 20 });
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, limit: 20 * 2 ** 30 });
    expect(f.status).toBe('no_growth');
    expect(f.daysUntilLimit).toEqual({ expected: null, pessimistic: null, reason: 'not growing' });
  });
});
