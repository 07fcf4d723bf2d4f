/**
 * The comment every statement the suite sends starts with. pg_stat_statements keeps a statement's text as
 * first seen, leading comment included, so the suite's own catalog reads, samples and row counts can be told
 * apart from the application's and left out of slow-query lists, index advice and issues.
 */
export const DBRS_TAG = '/* dbrs */';

/** The text with the tag in front (once). */
export function tagSql(text: string): string {
  return text.startsWith(DBRS_TAG) ? text : `${DBRS_TAG} ${text}`;
}

/**
 * True for text the suite sent: tagged, or the `COPY … TO stdout` that pg_dump runs for every table (pg_dump
 * cannot be made to tag its own statements).
 */
export function isSuiteStatement(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith(DBRS_TAG) || /^COPY\s+[\s\S]+\s+TO\s+stdout\s*;?\s*$/i.test(t);
}
