import { normalizeSql } from '../sql/parser.js';

/** Display text: normalised again (pg_stat_statements keeps literals in some statements) and shortened. */
export function shortStatementText(raw: string): string {
  const q = normalizeSql(raw);
  return q.length > 300 ? `${q.slice(0, 297)}...` : q;
}
