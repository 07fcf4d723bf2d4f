import { errorMessage } from '@voicehive/db-core';
import { loadOnce } from '@voicehive/db-core/internal';
import type * as LibPgQuery from 'libpg-query';

// biome-ignore lint/suspicious/noExplicitAny: libpg-query's AST is a deep JSON union; rules narrow it by hand.
export type Node = Record<string, any>;

export interface ParsedStatement {
  /** Node type, e.g. `AlterTableStmt`. */
  type: string;
  node: Node;
  /** Statement text without leading comments or the trailing semicolon. */
  text: string;
  /** Character offsets in the source. */
  start: number;
  end: number;
  line: number;
}

export interface ParsedComment {
  text: string;
  start: number;
  line: number;
}

export interface ParsedSql {
  statements: ParsedStatement[];
  comments: ParsedComment[];
}

export class SqlSyntaxError extends Error {
  override readonly name = 'SqlSyntaxError';
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

let parser: Pick<typeof LibPgQuery, 'parseSync' | 'scanSync'> | undefined;

/**
 * The parser is WASM: it must be instantiated once before the synchronous calls work. The module itself is
 * imported here, not at the top: importing this package (as `dbrs status` does, for migration status) must not
 * load libpg-query and its type tables, only linting and applying migrations need them.
 */
export const loadParser: () => Promise<void> = loadOnce(async () => {
  const m = await import('libpg-query');
  await m.loadModule();
  parser = m;
});

function loadedParser(): NonNullable<typeof parser> {
  if (!parser) throw new Error('The SQL parser is not loaded: await loadParser() first');
  return parser;
}

/** libpg-query reports UTF-8 byte offsets; JS strings index UTF-16 units. */
function byteToCharMapper(sql: string): (byte: number) => number {
  if (Buffer.byteLength(sql) === sql.length) return (b) => b;
  const map: number[] = [];
  let byte = 0;
  for (let i = 0; i < sql.length; i++) {
    const cp = sql.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < size; k++) map[byte + k] = i;
    byte += size;
    if (cp >= 0x10000) i++;
  }
  return (b) => (b >= map.length ? sql.length : map[b]!);
}

function lineCounter(sql: string): (index: number) => number {
  const starts: number[] = [0];
  for (let i = 0; i < sql.length; i++) if (sql.charCodeAt(i) === 10) starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Parses with the real PostgreSQL grammar. Call `await loadParser()` first. Throws SqlSyntaxError. */
export function parseSqlSync(sql: string): ParsedSql {
  // An empty text is an empty migration, not the parser's "Query cannot be empty".
  if (sql.trim() === '') return { statements: [], comments: [] };
  const lineOf = lineCounter(sql);
  const nul = sql.indexOf('\0');
  if (nul >= 0) {
    // PostgreSQL refuses NUL in query text (and the WASM parser cannot even report it).
    const lineStart = sql.lastIndexOf('\n', nul - 1) + 1;
    throw new SqlSyntaxError(
      'The text contains a NUL byte, which PostgreSQL never accepts in SQL',
      lineOf(nul),
      nul - lineStart + 1,
    );
  }
  const toChar = byteToCharMapper(sql);
  // biome-ignore lint/suspicious/noExplicitAny: see Node
  let result: any;
  try {
    result = loadedParser().parseSync(sql);
  } catch (err) {
    const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    // Errors without position (the parser's own failures on odd input) are reported at the start.
    const pos = toChar(Math.max(0, details?.cursorPosition ?? 0));
    const line = lineOf(pos);
    const lineStart = sql.lastIndexOf('\n', pos - 1) + 1;
    throw new SqlSyntaxError(errorMessage(err), line, pos - lineStart + 1);
  }
  const comments: ParsedComment[] = [];
  const statements: ParsedStatement[] = [];
  const raws: Node[] = result.stmts ?? [];
  let covered = 0;
  for (const raw of raws) {
    const to = raw.stmt_len ? toChar((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    // From the end of the previous statement: the parser's stmt_location may already skip leading comments.
    const start = statementStart(sql, covered, to, comments, lineOf);
    const type = Object.keys(raw.stmt)[0]!;
    statements.push({
      type,
      node: raw.stmt[type],
      text: sql.slice(start, to).trim().replace(/;\s*$/, ''),
      start,
      end: to,
      line: lineOf(start),
    });
    covered = to;
  }
  // Comments after the last statement (or in a comment-only text).
  if (covered < sql.length) statementStart(sql, covered, sql.length, comments, lineOf);
  return { statements, comments };
}

/**
 * Where the statement in sql[from, to) really starts (after leading comments
 * and blanks), collecting its comments. The lexer runs only on a region that
 * can hold a comment at all: scanning every token of a 10 MB INSERT to find
 * none was most of the lint time.
 */
function statementStart(
  sql: string,
  from: number,
  to: number,
  comments: ParsedComment[],
  lineOf: (i: number) => number,
): number {
  const region = sql.slice(from, to);
  if (!region.includes('--') && !region.includes('/*')) {
    // The region begins with the previous statement's semicolon.
    const lead = region.search(/[^\s;]/);
    return lead < 0 ? to : from + lead;
  }
  const toChar = byteToCharMapper(region);
  let start: number | undefined;
  for (const t of loadedParser().scanSync(region).tokens) {
    const at = from + toChar(t.start);
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') {
      comments.push({ text: t.text, start: at, line: lineOf(at) });
    } else if (t.text !== ';') start ??= at;
  }
  return start ?? to;
}
