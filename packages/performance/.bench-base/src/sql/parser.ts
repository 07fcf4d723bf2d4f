import { errorMessage } from '@voicehive/db-core';
import { loadModule, normalizeSync, parseSync } from 'libpg-query';

let loading: Promise<void> | undefined;

/** The WASM parser must be instantiated once before the sync functions work. */
export function loadParser(): Promise<void> {
  loading ??= loadModule();
  return loading;
}

export type ParseOutcome = { ok: true; tree: unknown[] } | { ok: false; error: string };

/**
 * Parses with the real PostgreSQL parser; never throws. Unparseable text is common: pg_stat_activity
 * truncates at track_activity_query_size, and pg_stat_statements shows `<insufficient privilege>`.
 */
export function parseSql(text: string): ParseOutcome {
  try {
    const result = parseSync(text) as { stmts?: { stmt: unknown }[] };
    return { ok: true, tree: (result.stmts ?? []).map((s) => s.stmt) };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

/**
 * Replaces every literal with $n so that text from pg_stat_activity carries
 * no values (emails, names) into logs, reports or metrics. When the text
 * cannot be parsed (truncated at track_activity_query_size) nothing of it is
 * safe to show, so only a marker is returned.
 */
export function normalizeSql(text: string): string {
  try {
    return normalizeSync(text);
  } catch {
    return '<unparseable statement text withheld>';
  }
}
