import { document } from './document.js';
import { html } from './escape.js';

export interface ConfirmPageOptions {
  basePath?: string;
  actionId: string;
  label: string;
  /** What will happen, in words; from the action's confirm(). */
  question: string;
  /** The action's parameters, posted again unchanged. */
  params: Record<string, string>;
  csrfToken: string;
}

/**
 * The confirmation step of an action that cannot be undone: says what will
 * happen and posts the same form again with `confirm=yes`. Works without
 * script; going back is a plain link.
 */
export function renderConfirmPage(o: ConfirmPageOptions): string {
  const base = o.basePath ?? '';
  return document(
    `Confirm: ${o.label}`,
    html`<main><section class="confirm"><h2>Confirm: ${o.label}</h2>
<p data-testid="confirm-question">${o.question}</p>
<form method="post" action="${base}/actions/${o.actionId}"><input type="hidden" name="csrf" value="${o.csrfToken}"><input type="hidden" name="confirm" value="yes">${Object.entries(o.params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<button type="submit" class="danger" data-confirm="${o.actionId}">Yes, ${o.label.toLowerCase()}</button> <a href="${base}/">No, back to the page</a></form></section></main>`,
  );
}
