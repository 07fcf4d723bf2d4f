import type { CapacityChartData } from '../status/types.js';
import { html, type SafeHtml } from './escape.js';

export interface ChartOptions {
  /** Default 720. */
  width?: number;
  /** Default 260. */
  height?: number;
}

/**
 * The capacity forecast as an inline SVG: measured history as a solid line,
 * the forecast dashed, its prediction interval as a shaded band, the
 * limit as a red line, and each change point the forecast found (a level
 * shift or a trend change) as a dotted vertical marker with its size. No
 * script, so it works under a strict CSP.
 */
export function renderForecastChart(data: CapacityChartData, options: ChartOptions = {}): SafeHtml {
  const width = options.width ?? 720;
  const height = options.height ?? 260;
  const pad = { left: 64, right: 16, top: 16, bottom: 36 };
  const history = data.history.filter((p) => Number.isFinite(p.v) && !Number.isNaN(Date.parse(p.t)));
  const forecast = data.forecast.filter(
    (p) => [p.v, p.lower, p.upper].every(Number.isFinite) && !Number.isNaN(Date.parse(p.t)),
  );
  if (history.length === 0 && forecast.length === 0) {
    return html`<p class="muted" data-chart="empty">No capacity samples yet.</p>`;
  }
  const times = [...history.map((p) => Date.parse(p.t)), ...forecast.map((p) => Date.parse(p.t))];
  const values = [...history.map((p) => p.v), ...forecast.flatMap((p) => [p.lower, p.upper, p.v])];
  if (data.limit !== undefined && Number.isFinite(data.limit)) values.push(data.limit);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  // Round ticks (0, 250, 500, … not 0, 263.4, 526.8): the axis spans whole tick steps.
  const ticks = niceTicks(Math.min(0, ...values), Math.max(...values, Math.min(0, ...values) + 1));
  const v0 = ticks[0]!;
  const v1 = ticks.at(-1)!;
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - ((v - v0) / (v1 - v0)) * (height - pad.top - pad.bottom);
  const pt = (t: number, v: number) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`;

  const historyLine = history.map((p) => pt(Date.parse(p.t), p.v)).join(' ');
  const lastHistory = history.at(-1);
  const forecastPoints = [...(lastHistory ? [{ t: lastHistory.t, v: lastHistory.v }] : []), ...forecast];
  const forecastLine = forecastPoints.map((p) => pt(Date.parse(p.t), p.v)).join(' ');
  const band =
    forecast.length > 0
      ? [
          ...forecast.map((p) => pt(Date.parse(p.t), p.upper)),
          ...[...forecast].reverse().map((p) => pt(Date.parse(p.t), p.lower)),
        ].join(' ')
      : '';
  const xTicks = [0, 0.5, 1].map((f) => t0 + f * (t1 - t0));
  const fmtDate = (t: number) => new Date(t).toISOString().slice(0, 10);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const fmtV = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
  const changes = (data.changePoints ?? []).filter((c) => {
    const t = Date.parse(c.t);
    return Number.isFinite(c.size) && t >= t0 && t <= t1;
  });
  const changeLabel = (c: { kind: 'level' | 'trend'; size: number }) =>
    `${c.kind} ${c.size >= 0 ? '+' : '−'}${fmtV(Math.abs(c.size))} ${data.unit}${c.kind === 'trend' ? '/day' : ''}`;

  return html`<svg class="chart" role="img" data-chart="capacity" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">
  <title>${data.metric}: history and forecast (${data.unit})</title>
  ${ticks.map((v) => html`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="axis">${fmtV(v)}</text>`)}
  ${xTicks.map((t, i) => html`<text x="${x(t).toFixed(1)}" y="${height - 12}" text-anchor="${i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}" class="axis">${fmtDate(t)}</text>`)}
  ${band ? html`<polygon points="${band}" class="band" data-series="interval"/>` : ''}
  ${historyLine ? html`<polyline points="${historyLine}" class="history" data-series="history"/>` : ''}
  ${forecast.length > 0 ? html`<polyline points="${forecastLine}" class="forecast" data-series="forecast"/>` : ''}
  ${changes.map((c) => html`<g class="change-point" data-series="change-point" data-kind="${c.kind}"><title>${changeLabel(c)} at ${c.t}</title><line x1="${x(Date.parse(c.t)).toFixed(1)}" x2="${x(Date.parse(c.t)).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" class="change" stroke="currentColor" stroke-width="1" stroke-dasharray="2 3"/><text x="${(x(Date.parse(c.t)) + 3).toFixed(1)}" y="${pad.top + 10}" class="axis">${changeLabel(c)}</text></g>`)}
  ${data.limit !== undefined && Number.isFinite(data.limit) ? html`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(data.limit).toFixed(1)}" y2="${y(data.limit).toFixed(1)}" class="limit" data-series="limit"/><text x="${width - pad.right}" y="${(y(data.limit) - 4).toFixed(1)}" text-anchor="end" class="axis limit-label">limit ${fmtV(data.limit)} ${data.unit}</text>` : ''}
</svg>`;
}

/**
 * Evenly spaced round values covering [min, max]: steps of 1, 2, 2.5 or 5
 * times a power of ten, about `count` of them.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min > 0 ? max - min : Math.abs(max) || 1;
  const raw = span / Math.max(1, count - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
  const start = Math.floor(min / step + 1e-9) * step;
  const end = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks.length > 1 ? ticks : [start, start + step];
}
