import { redact } from '@voicehive/db-core';
import { formatCount, formatMs } from '../format/units.js';
import type { QueryDetail } from '../insights/query-history.js';
import { document } from './document.js';
import { html } from './escape.js';
import { renderSeriesChart } from './series-chart.js';

/** One statement on its own page: the whole text, its counters, and its history from the stored snapshots. */
export function renderQueryPage(input: QueryDetail, options: { basePath?: string; title?: string } = {}): string {
  const d = redact(input);
  const base = options.basePath ?? '';
  const totalCalls = d.history.reduce((a, p) => a + p.calls, 0);
  return document(
    'Query',
    html`<header><h1>${options.title ?? 'Database Reliability'}</h1><span class="meta"><a href="${base}/#queries">back to the queries</a></span></header><main>
<section id="query"><h2>Query <code>${d.queryHash}</code></h2>
${d.query === null ? html`<p class="muted">pg_stat_statements no longer holds this statement (evicted or reset); its stored history follows.</p>` : html`<pre class="sql-full" data-testid="full-sql">${d.query}</pre>`}
${
  d.calls === null
    ? ''
    : html`<p>${formatCount(d.calls)} calls, ${formatCount(d.rows ?? 0)} rows, mean ${formatMs(d.meanMs ?? 0)}, total ${formatMs(d.totalMs ?? 0)} <span class="muted">(since the last statistics reset)</span></p>`
}</section>
<section id="history"><h2>History (last ${d.historyDays} days)</h2>
<p class="muted">${d.history.length} snapshot${d.history.length === 1 ? '' : 's'} with calls, ${formatCount(totalCalls)} calls in them.</p>
<h3>Mean time per snapshot</h3>${renderSeriesChart({ name: 'mean-time', unit: 'ms', points: d.history.map((p) => ({ t: p.t, v: p.meanMs })) })}
<h3>Calls per snapshot</h3>${renderSeriesChart({ name: 'calls', unit: 'calls', points: d.history.map((p) => ({ t: p.t, v: p.calls })) })}
</section></main>`,
  );
}
