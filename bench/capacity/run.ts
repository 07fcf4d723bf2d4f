// Forecast accuracy and speed benchmark for @voicehive/db-capacity.
//
//   scripts/run-source.sh bench/capacity/run.ts           held-out seeds; writes results.json and RESULTS.md
//   scripts/run-source.sh bench/capacity/run.ts --train   the tuning seeds; prints only, writes nothing
//
// Setup as in issue #18: 42 days of hourly history, the next 30 days known.
// Each family × seed is one series; every method forecasts from the end of
// the history and is scored against the observed sample (truth + noise,
// without injected spikes) 7 and 30 days later. The change day of the
// shift/trend families is drawn per seed. Tuning (penalties, thresholds) was
// done on TRAIN_SEEDS only; the committed numbers come from HELD_OUT_SEEDS,
// which no setting was chosen on.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forecastSeries, type Point } from '@voicehive/db-capacity';
import { type SeriesFamily, seededRandom, syntheticSeries } from '../../packages/capacity/src/forecast/synthetic.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DAY = 86_400_000;
const FAMILIES: SeriesFamily[] = [
  'linear',
  'exponential',
  'weekly_seasonal',
  'noisy_flat',
  'level_shift_up',
  'level_shift_down',
  'trend_change',
  'outlier_spikes',
  'missing_stretches',
];
const TRAIN_SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
const HELD_OUT_SEEDS = Array.from({ length: 20 }, (_, i) => 1001 + i);
const train = process.argv.includes('--train');
const SEEDS = train ? TRAIN_SEEDS : HELD_OUT_SEEDS;
const HISTORY_DAYS = 42;
const HORIZONS = [7, 30];

type Method = (history: Point[], origin: number, h: number) => number;

/** Least-squares line over the trailing window evaluated at origin + h: Prometheus `predict_linear(v[window], h)`. */
function lsLine(windowDays: number): Method {
  return (history, origin, h) => {
    const pts = history.filter((p) => p.t > origin - windowDays * DAY);
    const n = pts.length;
    if (n < 2) return pts[n - 1]?.v ?? history[history.length - 1]!.v;
    // Prometheus centres time on the evaluation timestamp to keep precision.
    let sx = 0;
    let sy = 0;
    let sxy = 0;
    let sxx = 0;
    for (const p of pts) {
      const x = (p.t - origin) / 1000;
      sx += x;
      sy += p.v;
      sxy += x * p.v;
      sxx += x * x;
    }
    const slope = (sxy - (sx * sy) / n) / (sxx - (sx * sx) / n);
    const intercept = sy / n - (slope * sx) / n;
    return intercept + slope * ((h * DAY) / 1000);
  };
}

const BASELINES: Record<string, Method> = {
  last_value: (history) => history[history.length - 1]!.v,
  ls_7d: lsLine(7),
  ls_30d: lsLine(30),
  predict_linear_1d: lsLine(1),
};
const METHODS = ['voicehive', ...Object.keys(BASELINES)];

function observedAt(points: Point[], t: number): number {
  let best = points[0]!;
  for (const p of points) if (Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
  return best.v;
}

interface Cell {
  ape: number[];
}
const errors: Record<string, Record<string, Record<string, Cell>>> = {};
const coverage: Record<string, Record<string, { inside: number; n: number; width: number }>> = {};
const chosen: Record<string, Record<string, number>> = {};
const changesFound: Record<
  string,
  { series: number; withChange: number; level: number; trend: number; timingErrDays: number[] }
> = {};

for (const family of FAMILIES) {
  errors[family] = Object.fromEntries(
    METHODS.map((m) => [m, Object.fromEntries(HORIZONS.map((h) => [`${h}d`, { ape: [] }]))]),
  );
  coverage[family] = Object.fromEntries(HORIZONS.map((h) => [`${h}d`, { inside: 0, n: 0, width: 0 }]));
  chosen[family] = {};
  changesFound[family] = { series: 0, withChange: 0, level: 0, trend: 0, timingErrDays: [] };
  for (const seed of SEEDS) {
    const changeDay = 12 + seededRandom(seed * 7919)() * 26;
    const s = syntheticSeries(family, {
      days: HISTORY_DAYS + Math.max(...HORIZONS) + 1,
      historyDays: HISTORY_DAYS,
      seed,
      changeDay,
    });
    const t0 = s.observed[0]!.t;
    const origin = t0 + HISTORY_DAYS * DAY;
    const history = s.points.filter((p) => p.t <= origin);
    const cf = changesFound[family];
    for (const h of HORIZONS) {
      const actual = observedAt(s.observed, origin + h * DAY);
      const f = forecastSeries(history, { now: origin, intervalHorizonDays: h });
      const preds: Record<string, number> = { voicehive: f.interval?.point ?? history[history.length - 1]!.v };
      for (const [name, m] of Object.entries(BASELINES)) preds[name] = m(history, origin, h);
      for (const name of METHODS)
        errors[family][name]![`${h}d`]!.ape.push(Math.abs((actual - preds[name]!) / actual) * 100);
      if (f.interval) {
        const c = coverage[family][`${h}d`]!;
        c.n++;
        if (actual >= f.interval.lower && actual <= f.interval.upper) c.inside++;
        c.width += ((f.interval.upper - f.interval.lower) / actual) * 100;
      }
      if (h === 30) {
        chosen[family][f.model ?? 'none'] = (chosen[family][f.model ?? 'none'] ?? 0) + 1;
        cf.series++;
        if (f.changePoints.length > 0) cf.withChange++;
        cf.level += f.changePoints.filter((c) => c.kind === 'level').length;
        cf.trend += f.changePoints.filter((c) => c.kind === 'trend').length;
        const real = ['level_shift_up', 'level_shift_down', 'trend_change'].includes(family);
        if (real && f.changePoints.length > 0) {
          const near = Math.min(...f.changePoints.map((c) => Math.abs((Date.parse(c.at) - t0) / DAY - changeDay)));
          cf.timingErrDays.push(near);
        }
      }
    }
  }
}

function round(x: number, d = 2): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

// Compute time: one year of hourly samples, full pipeline (clean, resample, outliers, change points, 4 models, backtest, days-until).
const year = syntheticSeries('weekly_seasonal', { days: 365, perDay: 24, seed: 9 });
const yearNow = year.points[year.points.length - 1]!.t;
const times: number[] = [];
for (let i = 0; i < (train ? 3 : 25); i++) {
  const started = performance.now();
  forecastSeries(year.points, { now: yearNow, limit: 20 * 2 ** 30 });
  times.push(performance.now() - started);
}
const warm = times.slice(1).sort((a, b) => a - b);
const compute = {
  samples: year.points.length,
  firstRunMs: round(times[0]!),
  medianMs: round(warm[Math.floor(warm.length / 2)]!),
  maxMs: round(warm[warm.length - 1]!),
  targetMs: 100,
};

const mape = Object.fromEntries(
  FAMILIES.map((f) => [
    f,
    Object.fromEntries(
      METHODS.map((m) => [
        m,
        Object.fromEntries(HORIZONS.map((h) => [`${h}d`, round(meanOf(errors[f]![m]![`${h}d`]!.ape), 3)])),
      ]),
    ),
  ]),
);
const interval95 = Object.fromEntries(
  FAMILIES.map((f) => [
    f,
    Object.fromEntries(
      HORIZONS.map((h) => {
        const c = coverage[f]![`${h}d`]!;
        return [
          `${h}d`,
          {
            coverage: round(c.inside / Math.max(1, c.n), 3),
            meanWidthPercent: round(c.width / Math.max(1, c.n), 2),
            n: c.n,
          },
        ];
      }),
    ),
  ]),
);
let inside = 0;
let total = 0;
for (const f of FAMILIES)
  for (const h of HORIZONS) {
    inside += coverage[f]![`${h}d`]!.inside;
    total += coverage[f]![`${h}d`]!.n;
  }
const targets = Object.fromEntries(
  FAMILIES.map((f) => {
    const ours = mape[f]!.voicehive!['30d']!;
    const best = Math.min(...Object.keys(BASELINES).map((b) => mape[f]![b]!['30d']!));
    return [f, { voicehive30d: ours, bestBaseline30d: best, met: ours <= best }];
  }),
);
const out = {
  generatedAt: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  setup: {
    families: FAMILIES,
    seeds: SEEDS,
    heldOut: !train,
    historyDays: HISTORY_DAYS,
    perDay: 24,
    horizonsDays: HORIZONS,
    changeDayRange: [12, 38],
  },
  mape,
  interval95,
  coverageAcrossFamilies: round(inside / Math.max(1, total), 3),
  targets,
  modelChosenAt30d: chosen,
  changePoints: Object.fromEntries(
    FAMILIES.map((f) => {
      const c = changesFound[f]!;
      return [
        f,
        {
          series: c.series,
          withChange: c.withChange,
          level: c.level,
          trend: c.trend,
          meanTimingErrorDays: c.timingErrDays.length ? round(meanOf(c.timingErrDays)) : null,
        },
      ];
    }),
  ),
  compute,
};

const lines: string[] = [];
lines.push('# Capacity forecasting benchmark');
lines.push('');
lines.push(
  `Generated by \`scripts/run-source.sh bench/capacity/run.ts\` on ${out.generatedAt.slice(0, 10)} (${out.node}, ${out.cores} × ${out.cpu}).`,
);
lines.push('');
lines.push(
  `Setup: ${FAMILIES.length} synthetic families (\`syntheticSeries\`: 10 GiB start, 100 MiB/day, 0.2% noise; noisy_flat 2% noise), ${SEEDS.length} ${train ? 'training' : 'held-out'} seeds each (${SEEDS[0]}–${SEEDS[SEEDS.length - 1]}; tuning used seeds 1–10 only), ${HISTORY_DAYS} days of hourly history, forecasts from its end scored against the observed sample 7 and 30 days later (spikes are not part of the target). Shifts and trend changes fall on a per-seed day between 12 and 38. MAPE in %, lower is better; best per row in bold.`,
);
lines.push('');
for (const h of HORIZONS) {
  lines.push(`## MAPE at ${h} days`);
  lines.push('');
  lines.push(`| family | ${METHODS.join(' | ')} |`);
  lines.push(`|---|${METHODS.map(() => '---:').join('|')}|`);
  for (const f of FAMILIES) {
    const row = METHODS.map((m) => mape[f]![m]![`${h}d`]!);
    const best = Math.min(...row);
    lines.push(`| ${f} | ${row.map((v) => (v === best ? `**${v.toFixed(2)}**` : v.toFixed(2))).join(' | ')} |`);
  }
  lines.push('');
}
lines.push(
  'Methods: `voicehive` = `forecastSeries` (outliers replaced, change points found, then linear / log-linear / damped Holt / Holt-Winters fitted to the regime after the last change and chosen by rolling-origin backtest); `last_value`; `ls_Nd` = least-squares line over the trailing N days; `predict_linear_1d` = Prometheus `predict_linear(v[1d], h)` (the same least squares over one day; `ls_7d` is `predict_linear(v[7d], h)`).',
);
lines.push('');
lines.push('## Target: 30-day error at or below the best baseline');
lines.push('');
lines.push('| family | voicehive 30 d | best baseline 30 d | met |');
lines.push('|---|---:|---:|:---:|');
for (const f of FAMILIES) {
  const t = targets[f]!;
  lines.push(`| ${f} | ${t.voicehive30d.toFixed(2)} | ${t.bestBaseline30d.toFixed(2)} | ${t.met ? 'yes' : '**no**'} |`);
}
lines.push('');
const unmet = FAMILIES.filter((f) => !targets[f]!.met);
if (unmet.length > 0) {
  lines.push('Where the target is not met (numbers from this run):');
  lines.push('');
  for (const f of unmet) {
    const t = targets[f]!;
    const bestName = Object.keys(BASELINES).find((b) => mape[f]![b]!['30d'] === t.bestBaseline30d)!;
    const models = Object.entries(chosen[f]!)
      .map(([m, n]) => `${m} ×${n}`)
      .join(', ');
    lines.push(
      `- ${f}: ${t.voicehive30d.toFixed(2)}% against ${bestName} ${t.bestBaseline30d.toFixed(2)}% (gap ${(t.voicehive30d - t.bestBaseline30d).toFixed(2)} points). Models chosen: ${models}. The series is one straight line (flat included) plus noise, so a least-squares line over the whole history is the right model and cannot be beaten on average; the backtest on 42 days scores near-equal models within noise of each other and sometimes picks Holt or Holt-Winters, which costs the gap shown.`,
    );
  }
  lines.push('');
}
lines.push('## 95% prediction interval of `voicehive`: coverage (share of actuals inside) and mean width');
lines.push('');
lines.push('| family | 7 d coverage | 7 d width % | 30 d coverage | 30 d width % |');
lines.push('|---|---:|---:|---:|---:|');
for (const f of FAMILIES) {
  const a = interval95[f]!['7d']!;
  const b = interval95[f]!['30d']!;
  lines.push(`| ${f} | ${a.coverage} | ${a.meanWidthPercent} | ${b.coverage} | ${b.meanWidthPercent} |`);
}
lines.push('');
lines.push(`Coverage across families and both horizons: **${out.coverageAcrossFamilies}** (target ≥ 0.90).`);
lines.push('');
lines.push('## Change points reported and models chosen (30-day forecasts)');
lines.push('');
lines.push(
  '| family | series with a change point | level | trend | mean distance to the true change, days | models chosen |',
);
lines.push('|---|---:|---:|---:|---:|---|');
for (const f of FAMILIES) {
  const c = out.changePoints[f]!;
  const models = Object.entries(chosen[f]!)
    .map(([m, n]) => `${m} ×${n}`)
    .join(', ');
  lines.push(
    `| ${f} | ${c.withChange}/${c.series} | ${c.level} | ${c.trend} | ${c.meanTimingErrorDays ?? '–'} | ${models} |`,
  );
}
lines.push('');
lines.push('## Compute time');
lines.push('');
lines.push(
  `A year of hourly samples (${compute.samples} points, weekly seasonal): first run ${compute.firstRunMs} ms (JIT cold), then median ${compute.medianMs} ms, max ${compute.maxMs} ms over ${warm.length} runs. Target: < ${compute.targetMs} ms.`,
);
lines.push('');
if (!train) {
  writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(join(HERE, 'RESULTS.md'), `${lines.join('\n')}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
