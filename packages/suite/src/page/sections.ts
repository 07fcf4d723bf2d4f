import { formatAge, formatBytes, formatCount, formatMs, formatPercent } from '../format/units.js';
import { GROWTH_WINDOWS, type PageSectionsData } from '../status/types.js';
import { html, type SafeHtml } from './escape.js';

/**
 * Longer SQL is cut here in tables. The full text is on its own page when
 * there is one (`fullHref`), else one click away in a <details>; no script either way.
 */
const SQL_PREVIEW = 160;

export function sqlCell(sql: string, fullHref?: string): SafeHtml {
  const one = sql.replace(/\s+/g, ' ').trim();
  if (one.length <= SQL_PREVIEW) return html`<pre>${one}</pre>`;
  if (fullHref)
    return html`<code class="sql-preview">${one.slice(0, SQL_PREVIEW - 1)}…</code> <a class="more" href="${fullHref}">full text</a>`;
  return html`<details class="sql"><summary><code>${one.slice(0, SQL_PREVIEW - 1)}…</code></summary><pre>${sql}</pre></details>`;
}

/** `+1.2 MB`, `−300 kB`, or – when unknown. */
function signedBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–';
  return `${bytes >= 0 ? '+' : '−'}${formatBytes(Math.abs(bytes))}`;
}

const empty = (text: string) => html`<p class="muted">${text}</p>`;

export function queriesSection(
  q: NonNullable<PageSectionsData['queries']>,
  actions: SafeHtml[] = [],
  queryLink?: (queryHash: string) => string,
): SafeHtml {
  const table = (rows: typeof q.byTotal, caption: string) =>
    rows.length === 0
      ? empty('No statements recorded by pg_stat_statements yet.')
      : html`<table data-table="${caption}"><caption>${caption}</caption><thead><tr><th>Query (normalised)</th><th class="num">Calls</th><th class="num">Rows</th><th class="num">Mean</th><th class="num">Total</th><th class="num">Share</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-query="${r.queryHash}"><td>${sqlCell(r.query)}${queryLink ? html`<a class="more" href="${queryLink(r.queryHash)}">full text and history</a>` : ''}</td><td class="num">${formatCount(r.calls)}</td><td class="num">${formatCount(r.rows)}</td><td class="num">${formatMs(r.meanMs)}</td><td class="num">${formatMs(r.totalMs)}</td><td class="num">${r.share === null ? '–' : formatPercent(r.share, 0)}</td></tr>`)}
</tbody></table>`;
  return html`${table(q.byTotal, 'Top by total time')}${table(q.byMean, 'Top by mean time')}
<p class="muted">Counters since ${q.statsSince ?? 'the last pg_stat_statements reset'}. History comes from the stored snapshots (performance.snapshot task).</p>${actions.length ? html`<p>${actions}</p>` : ''}`;
}

export function liveSection(
  live: NonNullable<PageSectionsData['live']>,
  rowActions?: (pid: number) => SafeHtml[],
  /** Where a session's whole statement is (`<base>/sessions/<pid>`), when the server has session pages. */
  sessionLink?: (pid: number) => string,
): SafeHtml {
  if (live.length === 0) return empty('No active, idle-in-transaction or waiting sessions right now.');
  const blockers = new Set(live.flatMap((s) => s.blockedBy));
  return html`<table><thead><tr><th class="num">PID</th><th>State</th><th>Application / user / client</th><th class="num">Running</th><th class="num">In state</th><th>Blocked by</th><th class="num">Locks</th><th>Query</th>${rowActions ? html`<th>Action</th>` : ''}</tr></thead><tbody>
${live.map((s) => html`<tr data-pid="${s.pid}" class="${s.blockedBy.length ? 'blocked' : blockers.has(s.pid) ? 'blocker' : ''}"><td class="num">${s.pid}</td><td><span class="badge ${s.blockedBy.length ? 'warning' : s.state.startsWith('idle in transaction') ? 'degraded' : 'info'}">${s.blockedBy.length ? 'blocked' : s.state}</span>${blockers.has(s.pid) ? html` <span class="badge critical">blocking</span>` : ''}</td><td>${s.application ?? '–'} / ${s.user ?? '–'} / ${s.client ?? 'local'}</td><td class="num">${s.queryAgeMs === null ? '–' : formatAge(s.queryAgeMs)}</td><td class="num">${s.stateAgeMs === null ? '–' : formatAge(s.stateAgeMs)}</td><td>${s.blockedBy.join(', ')}</td><td class="num">${s.locksHeld}</td><td>${sqlCell(s.query, sessionLink?.(s.pid))}</td>${rowActions ? html`<td class="actions">${rowActions(s.pid)}</td>` : ''}</tr>`)}
</tbody></table>
<p class="muted">${rowActions ? 'Each button asks for confirmation first. ' : ''}To stop a session: <code>SELECT pg_cancel_backend(pid)</code> cancels its statement, <code>SELECT pg_terminate_backend(pid)</code> ends the session.</p>`;
}

export function spaceSection(sp: NonNullable<PageSectionsData['space']>): SafeHtml {
  const growth = sp.growth
    .map((g) => `${g.days} d: ${g.bytes === null ? 'no history' : signedBytes(g.bytes)}`)
    .join(' · ');
  return html`<p>Database size <strong>${formatBytes(sp.databaseBytes)}</strong> <span class="muted">growth ${growth}</span></p>
<table data-table="tables"><caption>Largest tables</caption><thead><tr><th>Table</th><th class="num">Total</th><th class="num">Table</th><th class="num">Indexes</th><th class="num">Rows</th>${GROWTH_WINDOWS.map((d) => html`<th class="num">Growth ${d} d</th>`)}</tr></thead><tbody>
${sp.tables.map((t) => html`<tr><td>${t.schema}.${t.table}</td><td class="num">${formatBytes(t.totalBytes)}</td><td class="num">${formatBytes(t.tableBytes)}</td><td class="num">${formatBytes(t.indexBytes)}</td><td class="num">${formatCount(t.liveRows)}</td>${GROWTH_WINDOWS.map((d) => html`<td class="num" data-growth="${d}">${signedBytes(t.growth?.find((g) => g.days === d)?.bytes)}</td>`)}</tr>`)}
</tbody></table>
${sp.indexes && sp.indexes.length > 0 ? indexSizes(sp.indexes) : ''}
${
  sp.unusedIndexes.length + sp.duplicateIndexes.length === 0
    ? empty('No unused or duplicate indexes.')
    : html`<table data-table="drop-candidates"><caption>Unused and duplicate indexes</caption><thead><tr><th>Index</th><th>Why</th><th class="num">Size</th><th>Statement</th></tr></thead><tbody>
${sp.duplicateIndexes.map((d) => html`<tr><td>${d.schema}.${d.index}</td><td>${d.kind} duplicate of ${d.coveredBy}</td><td class="num">${formatBytes(d.sizeBytes)}</td><td><pre>${d.dropSql}</pre></td></tr>`)}
${sp.unusedIndexes.map((u) => html`<tr><td>${u.schema}.${u.index}</td><td>unused since ${u.statsSince ?? 'the statistics reset'}</td><td class="num">${formatBytes(u.sizeBytes)}</td><td><pre>${u.dropSql}</pre></td></tr>`)}
</tbody></table>`
}`;
}

/** The largest indexes with their growth over 1/7/30 days (– where the stored history does not reach). */
function indexSizes(indexes: NonNullable<NonNullable<PageSectionsData['space']>['indexes']>): SafeHtml {
  return html`<table data-table="indexes"><caption>Largest indexes</caption><thead><tr><th>Index</th><th>Table</th><th class="num">Size</th>${GROWTH_WINDOWS.map((d) => html`<th class="num">Growth ${d} d</th>`)}</tr></thead><tbody>
${indexes.map((i) => html`<tr><td>${i.schema}.${i.index}</td><td>${i.table}</td><td class="num">${formatBytes(i.bytes)}</td>${GROWTH_WINDOWS.map((d) => html`<td class="num" data-growth="${d}">${signedBytes(i.growth?.find((g) => g.days === d)?.bytes)}</td>`)}</tr>`)}
</tbody></table>`;
}

export function maintenanceSection(m: NonNullable<PageSectionsData['maintenance']>): SafeHtml {
  return html`<table data-table="vacuum"><thead><tr><th>Table</th><th class="num">Dead rows</th><th class="num">Dead %</th><th>Last vacuum</th><th>Last autovacuum</th><th>Last analyze</th><th>Last autoanalyze</th><th class="num">XID age</th></tr></thead><tbody>
${m.tables.map((t) => html`<tr><td>${t.schema}.${t.table}</td><td class="num">${formatCount(t.deadRows)}</td><td class="num">${formatPercent(t.deadRatio, 0)}</td><td>${t.lastVacuum ?? 'never'}</td><td>${t.lastAutovacuum ?? 'never'}</td><td>${t.lastAnalyze ?? 'never'}</td><td>${t.lastAutoanalyze ?? 'never'}</td><td class="num">${formatCount(t.xidAge)}</td></tr>`)}
</tbody></table>
${m.wraparound ? html`<p>Transaction ID age ${formatCount(m.wraparound.xidAge)}, ${formatCount(m.wraparound.xidRemaining)} left before wraparound protection stops writes.</p>` : ''}
${
  m.sequences.length === 0
    ? empty('No sequence near its column type’s maximum.')
    : html`<table data-table="sequences"><caption>Sequences near exhaustion</caption><thead><tr><th>Sequence</th><th>Column</th><th class="num">Last value</th><th class="num">Max</th><th class="num">Used</th></tr></thead><tbody>
${m.sequences.map((s) => html`<tr><td>${s.schema}.${s.sequence}</td><td>${s.column ?? '–'}</td><td class="num">${formatCount(s.lastValue)}</td><td class="num">${formatCount(s.maxValue)}</td><td class="num">${formatPercent(s.usedRatio)}</td></tr>`)}
</tbody></table>`
}
${
  m.bloat.length === 0
    ? ''
    : html`<table data-table="bloat"><caption>Bloat (estimates from statistics)</caption><thead><tr><th>Relation</th><th class="num">Size</th><th class="num">Bloat</th><th class="num">Ratio</th></tr></thead><tbody>
${m.bloat.map((b) => html`<tr><td>${b.name}</td><td class="num">${formatBytes(b.actualBytes)}</td><td class="num">${formatBytes(b.bloatBytes)}</td><td class="num">${formatPercent(b.bloatRatio, 0)}</td></tr>`)}
</tbody></table>`
}`;
}

export function connectionsSection(c: NonNullable<PageSectionsData['connections']>): SafeHtml {
  const list = (title: string, rows: Array<{ key: string; count: number }>) =>
    html`<table><caption>${title}</caption><tbody>${rows.map((r) => html`<tr><td>${r.key}</td><td class="num">${formatCount(r.count)}</td></tr>`)}</tbody></table>`;
  return html`<p><strong>${formatCount(c.total)}</strong> of ${formatCount(c.usable)} usable connections (max_connections ${formatCount(c.maxConnections)}) in use: ${formatPercent(c.usable > 0 ? c.total / c.usable : 0, 0)}.${c.pool ? html` This service's pool: ${c.pool.total} open, ${c.pool.idle} idle, ${c.pool.waiting} waiting, max ${c.pool.max}.` : ''}</p>
<div class="grid-3">${list('By state', c.byState)}${list('By application', c.byApplication)}${list('By client', c.byClient)}</div>`;
}

export function settingsSection(settings: NonNullable<PageSectionsData['settings']>): SafeHtml {
  return html`<table><thead><tr><th>Setting</th><th>Value</th><th>Default</th><th>Source</th><th>What it does</th></tr></thead><tbody>
${settings.map((s) => html`<tr data-setting="${s.name}" class="${s.changed ? 'changed' : ''}"><td><code>${s.name}</code>${s.changed ? html` <span class="badge info">changed</span>` : ''}</td><td><code>${s.value}</code></td><td><code>${s.defaultValue ?? '–'}</code></td><td>${s.source}</td><td class="muted">${s.description}</td></tr>`)}
</tbody></table>`;
}
