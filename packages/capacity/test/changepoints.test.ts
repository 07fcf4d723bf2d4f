import { describe, expect, it } from 'vitest';
import { detectChanges } from '../src/forecast/changepoints.js';
import { forecastSeries } from '../src/forecast/forecast.js';
import { replaceOutliers } from '../src/forecast/outliers.js';
import { seededRandom, syntheticSeries } from '../src/forecast/synthetic.js';

const DAY = 86_400_000;
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Day of a change point, counted from the first sample. */
function dayOf(at: string, t0: number): number {
  return (Date.parse(at) - t0) / DAY;
}

describe('change points', () => {
  it('a level shift up (bulk import) is one level change at the right day and size; the trend is fitted across it', () => {
    const s = syntheticSeries('level_shift_up', { days: 42, changeDay: 30.4, seed: 3 });
    const t0 = s.points[0]!.t;
    const now = s.points.at(-1)!.t;
    const f = forecastSeries(s.points, { now });
    expect(f.changePoints).toHaveLength(1);
    const c = f.changePoints[0]!;
    expect(c.kind).toBe('level');
    expect(Math.abs(dayOf(c.at, t0) - 30.4)).toBeLessThan(0.25);
    expect(Math.abs(c.size - 2 * GiB) / (2 * GiB)).toBeLessThan(0.02);
    // A level shift does not change growth, so the whole history still informs the trend.
    expect(f.fittedFrom).toBe(new Date(t0).toISOString());
    expect(Math.abs(f.growthPerDay! - 100 * MiB) / (100 * MiB)).toBeLessThan(0.05);
    expect(Math.abs(f.interval!.point - s.truth(now + 30 * DAY)) / s.truth(now + 30 * DAY)).toBeLessThan(0.005);
  });

  it('a level shift down (dropped partition) is reported with a negative size', () => {
    const s = syntheticSeries('level_shift_down', { days: 42, changeDay: 20, seed: 4 });
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t });
    expect(f.changePoints.map((c) => c.kind)).toEqual(['level']);
    expect(f.changePoints[0]!.size).toBeLessThan(-2.4 * GiB);
    expect(f.changePoints[0]!.size).toBeGreaterThan(-2.6 * GiB);
  });

  it('a trend change is a trend change (growth per day), and the models fit only the segment after it', () => {
    const s = syntheticSeries('trend_change', { days: 42, changeDay: 25, seed: 5 });
    const t0 = s.points[0]!.t;
    const f = forecastSeries(s.points, { now: s.points.at(-1)!.t });
    expect(f.changePoints.map((c) => c.kind)).toEqual(['trend']);
    const c = f.changePoints[0]!;
    expect(Math.abs(dayOf(c.at, t0) - 25)).toBeLessThan(0.5);
    expect(Math.abs(c.size - 200 * MiB) / (200 * MiB)).toBeLessThan(0.1);
    // The regime starts at the change (one grid step later when the step's own bucket straddled it).
    const lag = Date.parse(f.fittedFrom!) - Date.parse(c.at);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThanOrEqual(f.samples.stepMs);
    // 50 MiB/day before, 250 after: a fit across the change would report something in between.
    expect(Math.abs(f.growthPerDay! - 250 * MiB) / (250 * MiB)).toBeLessThan(0.05);
    // Every model's backtest ran on the regime after the change only: no origin before it.
    for (const m of f.models.filter((x) => x.ok && x.backtest)) {
      for (const h of m.backtest!.horizons) expect(h.horizonDays).toBeLessThan(42 - 25);
    }
  });

  it('a spike that returns is an outlier, not a change: 10 seeds of single-sample spikes give no change point', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const s = syntheticSeries('outlier_spikes', { days: 42, seed });
      const f = forecastSeries(s.points, { now: s.points.at(-1)!.t });
      expect(f.changePoints, `seed ${seed}`).toEqual([]);
    }
    const flat = Array.from({ length: 60 }, (_, i) => 100 + (i === 30 ? 50 : 0));
    const r = replaceOutliers(flat);
    expect(r.indices).toEqual([30]);
    expect(r.values[30]).toBe(100);
  });

  it('smooth curvature is not chopped up: compound growth and linear growth over 60 days report no change point', () => {
    for (const family of ['exponential', 'linear'] as const) {
      const s = syntheticSeries(family, { days: 60, growthPerDay: 150 * MiB });
      const f = forecastSeries(s.points, { now: s.points.at(-1)!.t });
      expect(f.changePoints, family).toEqual([]);
    }
  });

  it('compound growth: the log-linear model wins its backtest and its interval is asymmetric (computed on the log scale)', () => {
    const s = syntheticSeries('exponential', { days: 42, growthPerDay: 150 * MiB, seed: 8 });
    const now = s.points.at(-1)!.t;
    const f = forecastSeries(s.points, { now });
    expect(f.model).toBe('log_linear');
    const truth = s.truth(now + 30 * DAY);
    expect(Math.abs(f.interval!.point - truth) / truth).toBeLessThan(0.01);
    const { lower, point, upper } = f.interval!;
    expect(upper - point).toBeGreaterThan(point - lower);
    expect(lower).toBeLessThan(truth);
    expect(upper).toBeGreaterThan(truth);
    // Every competitor reports its own backtest, so the choice can be checked.
    const scored = f.models.filter((m) => m.ok);
    expect(scored.map((m) => m.model).sort()).toEqual(['holt_damped', 'holt_winters', 'linear', 'log_linear']);
    const mine = scored.find((m) => m.model === 'log_linear')!.backtestMape!;
    for (const m of scored) expect(m.backtestMape!).toBeGreaterThanOrEqual(mine);
  });

  it('too few points for the search: no change points, and the reason', () => {
    const r = detectChanges([1, 2, 3, 4, 5, 6], { minSegment: 4 });
    expect(r).toEqual({ ok: false, reason: 'change detection needs at least 9 grid points, has 6' });
    const pts = Array.from({ length: 12 }, (_, i) => ({ t: Date.UTC(2026, 0, 1) + i * 3 * 3_600_000, v: 100 + i }));
    const f = forecastSeries(pts, { now: pts.at(-1)!.t });
    expect(f.changePoints).toEqual([]);
    expect(f.changePointsReason).toMatch(/change detection needs at least \d+ grid points, has \d+/);
  });
});

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

type Shape = 'shrink' | 'long_gap' | 'duplicates' | 'clock_back' | 'constant' | 'huge_outlier' | 'few_points';
const SHAPES: Shape[] = ['shrink', 'long_gap', 'duplicates', 'clock_back', 'constant', 'huge_outlier', 'few_points'];

/** A capacity-like series with one kind of damage, sized and placed at random. */
function damaged(shape: Shape, rand: () => number): { t: number; v: number }[] {
  const start = Date.UTC(2026, 0, 1);
  const n = shape === 'few_points' ? 10 + Math.floor(rand() * 20) : 48 + Math.floor(rand() * 600);
  const stepMs = (0.25 + rand() * 3) * 3_600_000;
  const base = rand() < 0.1 ? 0 : 10 ** (1 + rand() * 11);
  const slope = (rand() - 0.2) * base * 0.001;
  const at = Math.floor(n * (0.2 + rand() * 0.7));
  const out: { t: number; v: number }[] = [];
  for (let i = 0; i < n; i++) {
    let t = start + i * stepMs;
    let v = shape === 'constant' ? base : base + slope * i + base * 0.002 * (rand() - 0.5);
    if (shape === 'shrink' && i >= at) v -= base * (0.1 + rand() * 0.8);
    if (shape === 'long_gap' && i >= at) t += (5 + rand() * 40) * DAY;
    if (shape === 'clock_back' && i >= at) t -= (0.5 + rand() * 5) * DAY;
    if (shape === 'huge_outlier' && i === at) v = (base + 1) * 10 ** (3 + rand() * 10);
    out.push({ t, v });
    if (shape === 'duplicates' && rand() < 0.3) out.push({ t, v: v * (1 + (rand() - 0.5) * 0.01) });
  }
  return out;
}

describe('bad input for change points and the multiplicative model never yields NaN or Infinity', () => {
  it('350 generated series (shrink, long gaps, duplicate stamps, clock jump back, constant, one huge outlier, too few points): all finite, a reason whenever there is no forecast', () => {
    const rand = seededRandom(18_2026);
    const statuses = new Set<string>();
    for (let i = 0; i < 350; i++) {
      const shape = SHAPES[i % SHAPES.length]!;
      const series = damaged(shape, rand);
      const now = Math.max(...series.map((p) => p.t));
      const f = forecastSeries(series, { now, limit: rand() < 0.5 ? null : 10 ** (2 + rand() * 12) });
      expect(allFinite(f), `${shape} #${i}`).toBeNull();
      statuses.add(`${shape}:${f.status}`);
      if (f.status !== 'ok') expect(f.reason, `${shape} #${i}`).toMatch(/\w/);
      if (f.daysUntilLimit.expected === null) expect(f.daysUntilLimit.reason, `${shape} #${i}`).toMatch(/\w/);
      for (const c of f.changePoints) {
        expect(Number.isFinite(Date.parse(c.at))).toBe(true);
        expect(['level', 'trend']).toContain(c.kind);
      }
    }
    // The generator reaches the forecasting path for every shape but the deliberately short one.
    for (const shape of SHAPES.filter((s) => s !== 'few_points')) {
      expect(
        [...statuses].some((s) => s.startsWith(`${shape}:`) && !s.endsWith('insufficient_data')),
        shape,
      ).toBe(true);
    }
    expect(statuses.has('few_points:insufficient_data')).toBe(true);
  });

  it('a constant series: no change point, no growth, the reason says so', () => {
    const pts = Array.from({ length: 200 }, (_, i) => ({ t: Date.UTC(2026, 0, 1) + i * 3_600_000, v: 5 * GiB }));
    const f = forecastSeries(pts, { now: pts.at(-1)!.t, limit: 10 * GiB });
    expect(f.changePoints).toEqual([]);
    expect(f.status).toBe('no_growth');
    expect(f.daysUntilLimit.reason).toMatch(/growth|growing/);
  });

  it('a shrink (negative step) is a level change with a negative size, and growth after it is still measured', () => {
    const rand = seededRandom(77);
    const pts = Array.from({ length: 24 * 20 }, (_, i) => ({
      t: Date.UTC(2026, 0, 1) + i * 3_600_000,
      v: 10 * GiB + (i * 100 * MiB) / 24 - (i >= 24 * 12 ? 3 * GiB : 0) + rand() * 20 * MiB,
    }));
    const f = forecastSeries(pts, { now: pts.at(-1)!.t, limit: 20 * GiB });
    expect(f.changePoints.map((c) => c.kind)).toEqual(['level']);
    expect(f.changePoints[0]!.size).toBeLessThan(-2.9 * GiB);
    expect(f.status).toBe('ok');
    expect(Math.abs(f.growthPerDay! - 100 * MiB) / (100 * MiB)).toBeLessThan(0.1);
  });
});
