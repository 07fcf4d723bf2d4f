import { loadModule, parseSync, scanSync } from 'libpg-query';

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

let loaded: Promise<void> | undefined;

/** The parser is WASM: it must be instantiated once before the synchronous calls work. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
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
  const toChar = byteToCharMapper(sql);
  const lineOf = lineCounter(sql);
  // biome-ignore lint/suspicious/noExplicitAny: see Node
  let result: any;
  try {
    result = parseSync(sql);
  } catch (err) {
    const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const pos = toChar(Math.max(0, details?.cursorPosition ?? 0));
    const line = lineOf(pos);
    const lineStart = sql.lastIndexOf('\n', pos - 1) + 1;
    throw new SqlSyntaxError((err as Error).message, line, pos - lineStart + 1);
  }
  const tokens = scanSync(sql).tokens.map((t) => ({
    start: toChar(t.start),
    end: toChar(t.end),
    comment: t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT',
    text: t.text,
  }));
  const comments: ParsedComment[] = tokens
    .filter((t) => t.comment)
    .map((t) => ({ text: t.text, start: t.start, line: lineOf(t.start) }));
  const statements: ParsedStatement[] = [];
  let ti = 0;
  for (const raw of result.stmts ?? []) {
    const from = toChar(raw.stmt_location ?? 0);
    const to = raw.stmt_len ? toChar((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    while (ti < tokens.length && (tokens[ti]!.start < from || tokens[ti]!.comment)) ti++;
    const start = ti < tokens.length ? Math.min(tokens[ti]!.start, to) : from;
    const type = Object.keys(raw.stmt)[0]!;
    statements.push({
      type,
      node: raw.stmt[type],
      text: sql.slice(start, to).trim().replace(/;\s*$/, ''),
      start,
      end: to,
      line: lineOf(start),
    });
    while (ti < tokens.length && tokens[ti]!.start < to) ti++;
  }
  return { statements, comments };
}
