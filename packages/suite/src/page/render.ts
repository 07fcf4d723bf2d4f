import { redact } from '@voicehive/db-core';
import { formatBytes, formatMs } from '../format/units.js';
import type { ActionPlacement } from '../http/actions.js';
import type { ComponentState, StatusPageData } from '../status/types.js';
import { actionForm } from './action-form.js';
import { renderForecastChart } from './chart.js';
import { document } from './document.js';
import { html, type SafeHtml } from './escape.js';
import { explainForm } from './explain.js';
import {
  connectionsSection,
  liveSection,
  maintenanceSection,
  queriesSection,
  settingsSection,
  spaceSection,
} from './sections.js';

export interface PageAction {
  /** Path segment under `<base>/actions/`. */
  id: string;
  label: string;
  /** Default 'overview'. */
  placement?: ActionPlacement;
}

export interface RenderPageOptions {
  /** Prefix for form targets, e.g. `/dbrs`. Default ''. */
  basePath?: string;
  /** Actions the viewer may trigger (operator role only); shown as buttons. */
  actions?: PageAction[];
  csrfToken?: string;
  /** Role of the person looking, shown in the header. */
  role?: string;
  /** Whether a logout button makes sense (cookie session). */
  canLogout?: boolean;
  /**
   * The explain box: its options for an operator, `'viewer'` to say it needs the operator role,
   * absent when the target offers none.
   */
  explain?: { analyzeAllowed: boolean } | 'viewer';
  /** Whether each statement links to its own page (`<base>/queries/<queryid>`). Default false. */
  queryPages?: boolean;
  /** Whether a live session's statement links to its own page (`<base>/sessions/<pid>`). Default false. */
  sessionPages?: boolean;
  /** One-line message at the top (result of an action). */
  notice?: string;
  title?: string;
}

/** Sections in page order, for the navigation bar. */
const NAV: Array<[string, string]> = [
  ['overview', 'Overview'],
  ['queries', 'Queries'],
  ['live-queries', 'Live queries'],
  ['space', 'Space'],
  ['maintenance', 'Maintenance'],
  ['connections', 'Connections'],
  ['settings', 'Settings'],
  ['explain', 'Explain'],
  ['index-recommendations', 'Index recommendations'],
  ['backups', 'Backups'],
  ['capacity', 'Capacity'],
];

/**
 * The PgHero-style status page as one self-contained HTML document. All
 * data is passed through `redact` and every value is escaped, so neither a
 * secret nor markup from query text reaches the browser.
 */
// Long: the page's HTML template; each section is rendered by its own function.
export function renderStatusPage(input: StatusPageData, options: RenderPageOptions = {}): string {
  const data = redact(input);
  // An issue's statement page, when this server has that kind of page.
  const fullTextLink = (path: string | undefined): SafeHtml | string => {
    if (!path) return '';
    const served = path.startsWith('queries/')
      ? options.queryPages
      : path.startsWith('sessions/') && options.sessionPages;
    return served ? html` <a class="more" href="${base}/${path}">full statement</a>` : '';
  };
  const base = options.basePath ?? '';
  const s = data.status;
  const title = options.title ?? 'Database Reliability';
  const actions = options.actions ?? [];
  const formCtx = { basePath: base, csrfToken: options.csrfToken ?? '' };
  const placed = (p: ActionPlacement) => actions.filter((a) => (a.placement ?? 'overview') === p);
  const sessionActions = placed('session');
  const rowActions = sessionActions.length
    ? (pid: number) =>
        sessionActions.map((a) => actionForm(a, formCtx, { pid }, a.id.endsWith('terminate') ? 'danger' : 'secondary'))
    : undefined;
  const queryActions = placed('queries').map((a) => actionForm(a, formCtx, {}, 'secondary'));
  const sec = data.sections ?? {};
  const components = Object.entries(s.components) as Array<
    [string, { status: ComponentState; message?: string; durationMs: number }]
  >;

  const body = html`
<header><h1>${title}</h1><span class="meta">generated ${s.generatedAt}${options.role ? html` · signed in as ${options.role}` : ''}</span>
${options.canLogout ? html`<form class="inline" method="post" action="${base}/logout"><button class="secondary" type="submit">Sign out</button></form>` : ''}</header>
<nav class="sections">${NAV.map(([id, label]) => html`<a href="#${id}">${label}</a>`)}</nav>
<main>
${options.notice ? html`<div class="notice" role="status">${options.notice}</div>` : ''}
<div id="overview">
<section id="overall"><div class="overall"><span>Overall health</span><span class="badge ${s.overallHealth}" data-testid="overall-health">${s.overallHealth}</span>
<span class="muted">${s.issues.length} issue${s.issues.length === 1 ? '' : 's'}</span>
${placed('overview').map((a) => actionForm(a, formCtx))}
</div></section>

<section id="issues"><h2>Issues</h2>
${
  s.issues.length === 0
    ? html`<p class="muted">No issues.</p>`
    : html`<table><thead><tr><th>Severity</th><th>Component</th><th>Issue</th><th>Action</th></tr></thead><tbody>
${s.issues.map((i) => html`<tr data-issue="${i.key ?? ''}"><td><span class="badge ${i.severity}">${i.severity}</span></td><td>${i.component}</td><td>${i.message}${i.section ? html` <a href="#${i.section}">${i.section.replace('-', ' ')}</a>` : ''}${fullTextLink(i.fullText)}</td><td>${i.action}${i.sql ? html`<pre>${i.sql}</pre>` : ''}</td></tr>`)}
</tbody></table>`
}</section>

<section id="components"><h2>Components</h2>
<table><thead><tr><th>Component</th><th>Status</th><th>Details</th><th class="num">Check time</th></tr></thead><tbody>
${components.map(([name, c]) => html`<tr data-component="${name}"><td>${name}</td><td><span class="badge ${c.status}">${c.status.replace('_', ' ')}</span></td><td>${c.message ?? ''}</td><td class="num">${Math.round(c.durationMs)} ms</td></tr>`)}
</tbody></table></section>
</div>

<section id="queries"><h2>Queries</h2>
${unavailableOr(data.unavailable?.queries, sec.queries ? queriesSection(sec.queries, queryActions, options.queryPages ? (h) => `${base}/queries/${encodeURIComponent(h)}` : undefined) : html`<p class="muted">Needs the performance component.</p>`)}</section>

<section id="live-queries"><h2>Live queries</h2>
${unavailableOr(data.unavailable?.live, sec.live ? liveSection(sec.live, rowActions, options.sessionPages ? (pid) => `${base}/sessions/${pid}` : undefined) : html`<p class="muted">Not read.</p>`)}</section>

<section id="space"><h2>Space</h2>
${unavailableOr(data.unavailable?.space, sec.space ? spaceSection(sec.space) : html`<p class="muted">Not read.</p>`)}</section>

<section id="maintenance"><h2>Maintenance</h2>
${unavailableOr(data.unavailable?.maintenance, sec.maintenance ? maintenanceSection(sec.maintenance) : html`<p class="muted">Not read.</p>`)}</section>

<section id="connections"><h2>Connections</h2>
${unavailableOr(data.unavailable?.connections, sec.connections ? connectionsSection(sec.connections) : html`<p class="muted">Not read.</p>`)}</section>

<section id="settings"><h2>Settings</h2>
${unavailableOr(data.unavailable?.settings, sec.settings ? settingsSection(sec.settings) : html`<p class="muted">Not read.</p>`)}</section>

<section id="slow-queries"><h2>Slow queries</h2>
${unavailableOr(
  data.unavailable?.slowQueries,
  data.slowQueries.length === 0
    ? html`<p class="muted">No slow queries recorded.</p>`
    : html`<table><thead><tr><th>Query (normalised)</th><th class="num">Calls</th><th class="num">Mean</th><th class="num">Total</th></tr></thead><tbody>
${data.slowQueries.map((q) => html`<tr><td><pre>${q.query}</pre></td><td class="num">${q.calls}</td><td class="num">${fmtMs(q.meanMs)}</td><td class="num">${fmtMs(q.totalMs)}</td></tr>`)}
</tbody></table>`,
)}</section>

<section id="explain"><h2>Explain</h2>
${
  options.explain === undefined
    ? html`<p class="muted">Not offered by this server.</p>`
    : options.explain === 'viewer'
      ? html`<p class="muted">Explaining a statement needs the operator role.</p>`
      : explainForm({
          basePath: base,
          csrfToken: options.csrfToken ?? '',
          analyzeAllowed: options.explain.analyzeAllowed,
        })
}</section>

<section id="index-recommendations"><h2>Index recommendations</h2>
${unavailableOr(
  data.unavailable?.indexRecommendations,
  data.indexRecommendations.length === 0
    ? html`<p class="muted">No index recommendations.</p>`
    : html`<table><thead><tr><th>Priority</th><th>Table</th><th>Columns</th><th class="num">Est. cost reduction</th><th>CREATE statement</th></tr></thead><tbody>
${data.indexRecommendations.map((r) => html`<tr><td><span class="badge ${r.priority === 1 ? 'critical' : r.priority === 2 ? 'warning' : 'info'}">P${r.priority}</span></td><td>${r.table}</td><td>${r.columns.join(', ')}</td><td class="num">${r.estimatedCostReduction === undefined ? '–' : `${Math.round(r.estimatedCostReduction * (r.estimatedCostReduction <= 1 ? 100 : 1))}%`}${r.validated === false ? html` <span class="muted">(heuristic)</span>` : ''}</td><td><pre>${r.createSql}</pre></td></tr>`)}
</tbody></table>`,
)}</section>

<section id="backups"><h2>Backups</h2>
${unavailableOr(
  data.unavailable?.backups,
  data.backups.length === 0
    ? html`<p class="muted">No backups listed.</p>`
    : html`<table><thead><tr><th>Backup</th><th>Database</th><th>Type</th><th>Created</th><th class="num">Size</th><th>Verification</th></tr></thead><tbody>
${data.backups.map((b) => html`<tr><td><code>${b.backupId}</code></td><td>${b.database}</td><td>${b.type}</td><td>${b.createdAt}</td><td class="num">${b.sizeBytes === undefined ? '–' : formatBytes(b.sizeBytes)}</td><td><span class="badge ${b.verification}">${b.verification}</span>${b.verifiedAt ? html` <span class="muted">${b.verifiedAt}</span>` : ''}</td></tr>`)}
</tbody></table>`,
)}</section>

<section id="capacity"><h2>Capacity forecast</h2>
${unavailableOr(data.unavailable?.capacity, data.capacity ? capacitySection(data.capacity) : html`<p class="muted">No capacity data.</p>`)}</section>
</main>`;
  return document(title, body);
}

function capacitySection(c: NonNullable<StatusPageData['capacity']>): SafeHtml {
  const facts = [
    c.growthPerDay !== undefined ? `growth ${c.growthPerDay.toFixed(2)} ${c.unit}/day` : undefined,
    c.daysUntilFull === null
      ? 'no limit reached in the forecast horizon'
      : c.daysUntilFull !== undefined
        ? `${Math.round(c.daysUntilFull)} days until full (pessimistic bound)`
        : undefined,
    c.model ? `model: ${c.model}` : undefined,
  ].filter(Boolean);
  return html`<p class="muted">${c.metric} (${c.unit})${facts.length ? ` · ${facts.join(' · ')}` : ''}</p>${c.note ? html`<p class="muted">${c.note}</p>` : ''}${renderForecastChart(c)}`;
}

function unavailableOr(reason: string | undefined, content: SafeHtml): SafeHtml {
  return reason ? html`<p class="muted" data-unavailable>${reason}</p>` : content;
}

export function renderLoginPage(options: { basePath?: string; error?: string; title?: string } = {}): string {
  const base = options.basePath ?? '';
  return document(
    options.title ?? 'Sign in',
    html`<main><section class="login"><h2>Database Reliability — sign in</h2>
${options.error ? html`<div class="notice" role="alert">${options.error}</div>` : ''}
<form method="post" action="${base}/login"><label for="key">API key</label><input id="key" name="key" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></section></main>`,
  );
}

const fmtMs = formatMs;

/** Kept for callers of the old name: one byte-unit family across the page, the CLI and the issues. */
