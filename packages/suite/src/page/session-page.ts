import { redact } from '@voicehive/db-core';
import { formatAge } from '../format/units.js';
import type { LiveSession } from '../insights/activity.js';
import { document } from './document.js';
import { html } from './escape.js';

/**
 * One live session on its own page: the whole statement the live-queries
 * table and the issues cut short, with who runs it and for how long. Read
 * at request time; the text went through withoutSqlSecrets() when it was
 * read and through redact() here, like every page.
 */
export function renderSessionPage(input: LiveSession, options: { basePath?: string; title?: string } = {}): string {
  const s = redact(input);
  const base = options.basePath ?? '';
  const age = (ms: number | null) => (ms === null ? '–' : formatAge(ms));
  return document(
    `Session ${s.pid}`,
    html`<header><h1>${options.title ?? 'Database Reliability'}</h1><span class="meta"><a href="${base}/#live-queries">back to the live queries</a></span></header><main>
<section id="session"><h2>Session <code>${s.pid}</code></h2>
<table><tbody>
<tr><th>State</th><td>${s.state}${s.waitEvent ? html` <span class="muted">(waiting on ${s.waitEvent})</span>` : ''}</td></tr>
<tr><th>Application / user / client</th><td>${s.application ?? '–'} / ${s.user ?? '–'} / ${s.client ?? 'local'}</td></tr>
<tr><th>Statement running for</th><td>${age(s.queryAgeMs)}</td></tr>
<tr><th>Transaction open for</th><td>${age(s.transactionAgeMs)}</td></tr>
<tr><th>In this state for</th><td>${age(s.stateAgeMs)}</td></tr>
<tr><th>Blocked by</th><td>${s.blockedBy.length ? s.blockedBy.map((p) => html`<a href="${base}/sessions/${p}">${p}</a> `) : 'nothing'}</td></tr>
<tr><th>Locks held</th><td>${s.locksHeld}</td></tr>
</tbody></table>
<h3>Statement</h3>
<pre class="sql-full" data-testid="full-sql">${s.query}</pre>
<p class="muted">As pg_stat_activity reports it: at most track_activity_query_size bytes; password literals are replaced.</p>
</section></main>`,
  );
}
