import type { CapacityForecast } from '@voicehive/db-capacity';
import { describe, expect, it } from 'vitest';
import { describeChangePoints } from '../src/cli/commands/capacity.js';
import { renderForecastChart } from '../src/page/chart.js';
import type { CapacityChartData } from '../src/status/types.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

function chart(changePoints: CapacityChartData['changePoints']): string {
  const history = Array.from({ length: 30 }, (_, i) => ({
    t: new Date(t0 + i * DAY).toISOString(),
    v: 1000 + 10 * i + (i >= 20 ? 300 : 0),
  }));
  return String(
    renderForecastChart({
      metric: 'database size',
      unit: 'MB',
      history,
      forecast: [{ t: new Date(t0 + 40 * DAY).toISOString(), v: 1590, lower: 1550, upper: 1630 }],
      ...(changePoints ? { changePoints } : {}),
    }),
  );
}

/** x coordinate of a polyline point whose time is `t`, from the chart's own scale (first and last history point). */
function xOf(svg: string, t: number): number {
  const pts = /data-series="history"/.test(svg) ? svg.match(/points="([^"]+)" class="history"/)![1]!.split(' ') : [];
  const [xa] = pts[0]!.split(',').map(Number);
  const [xb] = pts[1]!.split(',').map(Number);
  return xa! + ((t - t0) / DAY) * (xb! - xa!);
}

describe('change points on the capacity chart and in `dbrs capacity forecast`', () => {
  it('each change point is a marker at its time, labelled with kind and size; none without change points', () => {
    const svg = chart([
      { t: new Date(t0 + 20 * DAY).toISOString(), kind: 'level', size: 300 },
      { t: new Date(t0 + 25 * DAY).toISOString(), kind: 'trend', size: -4.5 },
    ]);
    const markers = [...svg.matchAll(/<g class="change-point" data-series="change-point" data-kind="(\w+)">/g)];
    expect(markers.map((m) => m[1])).toEqual(['level', 'trend']);
    const xs = [...svg.matchAll(/<line x1="([\d.]+)" x2="([\d.]+)"[^>]*class="change"/g)].map((m) => Number(m[1]));
    expect(xs[0]!).toBeCloseTo(xOf(svg, t0 + 20 * DAY), 0);
    expect(xs[1]!).toBeCloseTo(xOf(svg, t0 + 25 * DAY), 0);
    expect(svg).toContain('level +300 MB');
    expect(svg).toContain('trend −5 MB/day'); // the page's one byte-unit family rounds MB to whole units
    expect(chart(undefined)).not.toContain('change-point');
  });

  it('a change point outside the plotted time range or with a non-finite size is not drawn', () => {
    const svg = chart([
      { t: new Date(t0 - 50 * DAY).toISOString(), kind: 'level', size: 10 },
      { t: new Date(t0 + 5 * DAY).toISOString(), kind: 'level', size: Number.NaN },
    ]);
    expect(svg).not.toContain('change-point');
  });

  it('the CLI forecast table names each change point with its kind, signed size and day', () => {
    const f = {
      unit: 'bytes',
      changePoints: [
        { at: '2026-01-13T06:00:00.000Z', kind: 'level', size: -2 * 2 ** 30 },
        { at: '2026-01-20T00:00:00.000Z', kind: 'trend', size: 200 * 2 ** 20 },
      ],
    } as Pick<CapacityForecast, 'unit' | 'changePoints'>;
    const text = describeChangePoints(f);
    expect(text).toMatch(/^level -2(\.0)? GB @2026-01-13, trend \+200(\.0)? MB\/day @2026-01-20$/);
    expect(describeChangePoints({ unit: 'connections', changePoints: [] })).toBe('');
  });
});
