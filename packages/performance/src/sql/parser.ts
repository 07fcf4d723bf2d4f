import { errorMessage } from '@voicehive/db-core';
import { loadOnce } from '@voicehive/db-core/internal';
import type * as LibPgQuery from 'libpg-query';

let parser: Pick<typeof LibPgQuery, 'normalizeSync' | 'parseSync'> | undefined;

/**
 * Imports and instantiates the WASM parser once; the sync functions below need it. Loaded on first use (the
 * advisor, a report's statements and sessions, a snapshot), not when the optimizer initialises: `dbrs status`
 * answers from the stored analysis and parses nothing, and libpg-query's import plus its 1.7 MB WASM compile
 * were a tenth of the command's time.
 */
export const loadParser: () => Promise<void> = loadOnce(async () => {
  const m = await import('libpg-query');
  await m.loadModule();
  parser = m;
});

const NOT_LOADED = 'The SQL parser is not loaded: await loadSqlParser() first';
const WITHHELD = '<unparseable statement text withheld>';

export type ParseOutcome = { ok: true; tree: unknown[] } | { ok: false; error: string };

/**
 * Parses with the real PostgreSQL parser; never throws. Unparseable text is common: pg_stat_activity
 * truncates at track_activity_query_size, and pg_stat_statements shows `<insufficient privilege>`.
 * Needs `loadParser()` to have resolved (else `ok: false`).
 */
export function parseSql(text: string): ParseOutcome {
  if (!parser) return { ok: false, error: NOT_LOADED };
  try {
    const result = parser.parseSync(text) as { stmts?: { stmt: unknown }[] };
    return { ok: true, tree: (result.stmts ?? []).map((s) => s.stmt) };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

/**
 * Replaces every literal with $n so that text from pg_stat_activity carries
 * no values (emails, names) into logs, reports or metrics. When the text
 * cannot be parsed (truncated at track_activity_query_size) nothing of it is
 * safe to show, so only a marker is returned; the same when the parser is not
 * loaded yet (`await loadSqlParser()` first): never the raw text.
 */
export function normalizeSql(text: string): string {
  if (!parser) return WITHHELD;
  try {
    return parser.normalizeSync(text);
  } catch {
    return WITHHELD;
  }
}
