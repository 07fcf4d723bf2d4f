import { html, type SafeHtml } from './escape.js';

export interface ActionFormContext {
  basePath: string;
  csrfToken: string;
}

/**
 * A button posting to `<base>/actions/<id>` with the CSRF token and the given
 * hidden fields: a plain form, so acting needs no script (strict CSP).
 */
export function actionForm(
  action: { id: string; label: string },
  ctx: ActionFormContext,
  hidden: Record<string, string | number> = {},
  extraClass = '',
): SafeHtml {
  return html`<form class="inline" method="post" action="${ctx.basePath}/actions/${action.id}"><input type="hidden" name="csrf" value="${ctx.csrfToken}">${Object.entries(hidden).map(([k, v]) => html`<input type="hidden" name="${k}" value="${String(v)}">`)}<button type="submit" class="${extraClass}" data-action="${action.id}"${Object.keys(hidden).length ? html` data-for="${Object.values(hidden).join(' ')}"` : ''}>${action.label}</button></form>`;
}
