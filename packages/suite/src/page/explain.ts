import type { ExplainResult } from '../operator/explain.js';
import { document } from './document.js';
import { html, type SafeHtml } from './escape.js';

export interface ExplainBoxOptions {
  basePath: string;
  csrfToken: string;
  /** `performance.allowExplainAnalyze`: the ANALYZE box is offered only then. */
  analyzeAllowed: boolean;
  /** What the operator pasted last, kept in the box. */
  sql?: string;
  analyze?: boolean;
}

/** The form: paste a statement, get its plan. A plain form posting to `<base>/explain` (no script). */
export function explainForm(o: ExplainBoxOptions): SafeHtml {
  return html`<form class="explain" method="post" action="${o.basePath}/explain"><input type="hidden" name="csrf" value="${o.csrfToken}">
<label for="explain-sql">Statement</label><textarea id="explain-sql" name="sql" rows="6" required placeholder="SELECT … (pasted from the Queries table; $1 parameters are planned generically on PostgreSQL 16+)">${o.sql ?? ''}</textarea>
<p>${
    o.analyzeAllowed
      ? html`<label><input type="checkbox" name="analyze" value="yes"${o.analyze ? html` checked` : ''}> ANALYZE (runs the statement, read-only, rolled back)</label> `
      : html`<span class="muted">ANALYZE is off (performance.allowExplainAnalyze). </span>`
  }<button type="submit" data-action="explain">Explain</button></p></form>`;
}

/** The result page: the plan (or the server's complaint) under the same form, prefilled. */
export function renderExplainPage(
  o: ExplainBoxOptions & { result?: ExplainResult; error?: string; title?: string },
): string {
  return document(
    'Explain',
    html`<header><h1>${o.title ?? 'Database Reliability'}</h1><span class="meta"><a href="${o.basePath}/">back to the page</a></span></header><main><section id="explain"><h2>Explain</h2>
${o.error ? html`<div class="notice" role="alert" data-testid="explain-error">${o.error}</div>` : ''}
${o.result ? html`<p class="muted">${o.result.analyzed ? 'EXPLAIN ANALYZE (the statement ran in a read-only transaction that was rolled back)' : o.result.generic ? 'EXPLAIN (GENERIC_PLAN): planned for any parameter values' : 'EXPLAIN: estimated plan, the statement did not run'}</p><pre class="plan" data-testid="plan">${o.result.plan}</pre>` : ''}
${explainForm(o)}</section></main>`,
  );
}
