import { niceTicks } from './chart.js';
import { html, type SafeHtml } from './escape.js';

export interface SeriesChartInput {
  /** What is drawn, for the title and the data attribute. */
  name: string;
  unit: string;
  points: Array<{ t: string; v: number }>;
  width?: number;
  height?: number;
}

/** One measured time series as an inline SVG line with round y ticks; no script (strict CSP). */
export function renderSeriesChart(input: SeriesChartInput): SafeHtml {
  const width = input.width ?? 720;
  const height = input.height ?? 200;
  const pad = { left: 64, right: 16, top: 12, bottom: 32 };
  const points = input.points.filter((p) => Number.isFinite(p.v) && !Number.isNaN(Date.parse(p.t)));
  if (points.length === 0)
    return html`<p class="muted" data-chart="empty">No stored snapshots for this statement yet (the performance.snapshot task writes one per maintenance cycle).</p>`;
  const times = points.map((p) => Date.parse(p.t));
  const values = points.map((p) => p.v);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const ticks = niceTicks(Math.min(0, ...values), Math.max(...values, 1e-9));
  const v0 = ticks[0]!;
  const v1 = ticks.at(-1)!;
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - ((v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  const line = points.map((p) => `${x(Date.parse(p.t)).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const fmtV = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: decimals });
  const fmtT = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  return html`<svg class="chart" role="img" data-chart="${input.name}" data-points="${points.length}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">
  <title>${input.name} (${input.unit})</title>
  ${ticks.map((v) => html`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="axis">${fmtV(v)} ${input.unit}</text>`)}
  ${[t0, t1].map((t, i) => html`<text x="${x(t).toFixed(1)}" y="${height - 10}" text-anchor="${i === 0 ? 'start' : 'end'}" class="axis">${fmtT(t)} UTC</text>`)}
  ${points.length === 1 ? html`<circle cx="${x(times[0]!).toFixed(1)}" cy="${y(values[0]!).toFixed(1)}" r="3" class="history"/>` : html`<polyline points="${line}" class="history" data-series="history"/>`}
</svg>`;
}
