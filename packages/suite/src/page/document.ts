import { html, type SafeHtml } from './escape.js';
import { STYLES } from './styles.js';

/** The one HTML shell of every page: inline styles only (the CSP allows no script and no outside resource). */
export function document(title: string, body: SafeHtml): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${html`${title}`}</title><style>${STYLES}</style></head><body>${body}</body></html>`;
}
