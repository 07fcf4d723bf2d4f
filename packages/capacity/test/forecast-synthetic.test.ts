import { describe, expect, it } from 'vitest';
import { forecastSeries } from '../src/forecast/forecast.js';
import { syntheticSeries } from '../src/forecast/synthetic.js';

const DAY = 86_400_000;
const GiB = 2 ** 30;

/** Day (from the last sample) when the noise-free truth reaches `target`, by bisection. */
function truthDaysUntil(truth: (t: number) => number, now: number, target: number): number {
  let lo = 0;
  let hi = 5000;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (truth(now + mid * DAY) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

describe('forecasts on synthetic series with a known truth (60 days, hourly)', () => {
  it('linear: growth within 2%, 30-day point within 1%, days-until-full within 5%, pessimistic not later than expected', () => {
    const s = syntheticSeries('linear', { days: 60 });
    const now = s.points.at(-1)!.t;
    const f = forecastSeries(s.points, { now, limit: 20 * GiB });
    expect(f.status).toBe('ok');
    expect(f.model).toBe('linear');
    expect(relErr(f.growthPerDay!, 100 * 2 ** 20)).toBeLessThan(0.02);
    expect(relErr(f.interval!.point, s.truth(now + 30 * DAY))).toBeLessThan(0.01);
    const truth = truthDaysUntil(s.truth, now, 20 * GiB);
    expect(relErr(f.daysUntilLimit.expected!, truth)).toBeLessThan(0.05);
    expect(f.daysUntilLimit.pessimistic!).toBeLessThanOrEqual(f.daysUntilLimit.expected!);
    expect(f.rSquared!).toBeGreaterThan(0.99);
    expect(f.backtest!.horizons.map((h) => h.horizonDays)).toEqual([1, 7, 30]);
    expect(f.thresholds.map((t) => t.percent)).toEqual([80, 90]);
    expect(f.thresholds[0]!.expected!).toBeLessThan(f.thresholds[1]!.expected!);
  });

  it('exponential: 30-day point within 10% (additive trend models under-read compounding growth), pessimistic days-until-full not later than the truth and within 40% of it', () => {
    const s = syntheticSeries('exponential', { days: 60, growthPerDay: 150 * 2 ** 20 });
    const now = s.points.at(-1)!.t;
    const f = forecastSeries(s.points, { now, limit: 40 * GiB });
    expect(f.status).toBe('ok');
    expect(f.model).not.toBe('linear');
    expect(relErr(f.interval!.point, s.truth(now + 30 * DAY))).toBeLessThan(0.1);
    const truth = truthDaysUntil(s.truth, now, 40 * GiB);
    expect(f.daysUntilLimit.pessimistic!).toBeLessThanOrEqual(truth);
    expect(f.daysUntilLimit.pessimistic!).toBeGreaterThan(truth * 0.6);
  });

  it('weekly seasonal: Holt-Winters is chosen and the 7-day point is within 1% of the truth', () => {
    const s = syntheticSeries('weekly_seasonal', { days: 56 });
    const now = s.points.at(-1)!.t;
    const f = forecastSeries(s.points, { now, limit: 40 * GiB, intervalHorizonDays: 7 });
    expect(f.model).toBe('holt_winters');
    expect(relErr(f.interval!.point, s.truth(now + 7 * DAY))).toBeLessThan(0.01);
    expect(f.interval!.lower).toBeLessThan(s.truth(now + 7 * DAY));
    expect(f.interval!.upper).toBeGreaterThan(s.truth(now + 7 * DAY));
  });

  it('weekly seasonality is not tried before two weeks of history, and says so', () => {
    const s = syntheticSeries('weekly_seasonal', { days: 10 });
    // Change detection off: with under two weeks the swing cannot be removed first, and the search may read
    // it as trend changes and shorten the fitted regime further (see the README's limits).
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, limit: 40 * GiB, changePoints: false });
    const hw = f.models.find((m) => m.model === 'holt_winters')!;
    expect(hw.ok).toBe(false);
    expect(hw.reason).toMatch(/needs 2 weeks of history, has 1\.\d/);
  });

  it('step change: growth after the jump within a factor 2 of the truth, pessimistic days-until-full not later than the truth', () => {
    const s = syntheticSeries('step_change', { days: 60 });
    const now = s.points.at(-1)!.t;
    const f = forecastSeries(s.points, { now, limit: 20 * GiB });
    expect(f.status).toBe('ok');
    expect(f.growthPerDay!).toBeGreaterThan(50 * 2 ** 20);
    expect(f.growthPerDay!).toBeLessThan(200 * 2 ** 20);
    expect(f.daysUntilLimit.pessimistic!).toBeLessThanOrEqual(truthDaysUntil(s.truth, now, 20 * GiB));
  });

  it('noisy flat: no "days until full" for any of 20 seeds, with the reason', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const s = syntheticSeries('noisy_flat', { days: 45, seed });
      const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, limit: 20 * GiB });
      expect(f.status, `seed ${seed}`).toBe('no_growth');
      expect(f.daysUntilLimit.expected).toBeNull();
      expect(f.daysUntilLimit.pessimistic).toBeNull();
      expect(f.daysUntilLimit.reason).toMatch(/growth|growing/);
      expect(f.thresholds.every((t) => t.expected === null && t.pessimistic === null)).toBe(true);
    }
  });

  it('too little data: no forecast, and the reason names what is missing', () => {
    const s = syntheticSeries('linear', { days: 10 });
    const few = forecastSeries(s.points.slice(0, 3), { now: s.points[2]!.t, limit: 20 * GiB });
    expect(few.status).toBe('insufficient_data');
    expect(few.reason).toBe('needs at least 10 valid samples spanning 24 h; has 3 over 2.0 h');
    expect(few.model).toBeNull();
    expect(few.daysUntilLimit.expected).toBeNull();
    const short = forecastSeries(s.points.slice(0, 12), { now: s.points[11]!.t, limit: 20 * GiB });
    expect(short.status).toBe('insufficient_data');
    expect(short.reason).toBe('needs at least 10 valid samples spanning 24 h; has 12 over 11.0 h');
  });

  it('the linear model declines a poor fit and states the R²', () => {
    const s = syntheticSeries('noisy_flat', { days: 30 });
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, models: ['linear'] });
    expect(f.status).toBe('no_model');
    expect(f.reason).toMatch(/linear: R² 0\.\d\d is below 0\.70/);
  });

  it('prediction intervals widen with the horizon', () => {
    const s = syntheticSeries('linear', { days: 30, noise: 0.01 });
    const now = s.points.at(-1)!.t;
    const widths = [1, 7, 30, 90].map((d) => {
      const f = forecastSeries(s.points, { now, intervalHorizonDays: d });
      return f.interval!.upper - f.interval!.lower;
    });
    for (let i = 1; i < widths.length; i++) expect(widths[i]!).toBeGreaterThan(widths[i - 1]!);
  });

  it('a year of hourly samples is reduced to a daily grid and still forecasts', () => {
    const s = syntheticSeries('linear', { days: 365 });
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t, limit: 60 * GiB });
    expect(f.samples.used).toBe(365 * 24);
    expect(f.samples.stepMs).toBe(DAY);
    expect(f.status).toBe('ok');
    expect(relErr(f.growthPerDay!, 100 * 2 ** 20)).toBeLessThan(0.02);
  });
});
