import type { ColumnStats, IndexInfo } from '../catalog/catalog.js';
import type { TableUsage } from './resolve.js';

export interface IndexColumn {
  name: string;
  desc: boolean;
  /** Operator class when not the default: `text_pattern_ops` for `LIKE 'abc%'` under a non-C collation. */
  opclass?: string;
  /** An expression index column: this function applied to the column (`lower` → `lower(email)`). */
  fn?: string;
}

export interface CandidateIndex {
  /** Stable identity: `schema.table(col, col DESC)`. */
  key: string;
  tableOid: number;
  schema: string;
  table: string;
  columns: IndexColumn[];
  /** Leading columns compared with `=`: their order among themselves does not matter for coverage. */
  eqCount: number;
  /** Whether the column order serves an ORDER BY (then direction matters). */
  servesSort: boolean;
  /** Partial index predicate (SQL), e.g. `"status" = 'pending'::text`, for a rare value the workload asks for. */
  where?: string;
  /** Non-key columns stored in the index (`INCLUDE`), so a statement can be answered by an index-only scan. */
  include?: string[];
  /** Access method when not B-tree. */
  method?: 'gin';
}

export interface CandidateOptions {
  /** Widest index to propose. Default 3. */
  maxColumns: number;
  /**
   * Columns other statements on the same table compare by range or sort on:
   * among equality columns they go last, so one index serves both shapes
   * (`status = $1 AND day = $2` and `status = $1 AND day BETWEEN …`).
   */
  rangeElsewhere?: ReadonlySet<string>;
  /**
   * True when `LIKE 'abc%'` on the column needs `text_pattern_ops`: the default operator class only serves a
   * prefix match under the C collation (PostgreSQL docs, "Operator Classes and Operator Families").
   */
  needsPatternOps?: (column: string) => boolean;
}

/** `name`, `name DESC`, `lower(name)` or `name text_pattern_ops`, as a DBA reads it. */
export const columnLabel = (c: IndexColumn): string =>
  `${c.fn ? `${c.fn}(${c.name})` : c.name}${c.opclass ? ` ${c.opclass}` : ''}${c.desc ? ' DESC' : ''}`;

/** One key column as SQL: identifiers quoted, a function call written bare (CREATE INDEX allows it unparenthesised). */
export const columnSql = (c: IndexColumn, quoteIdent: (s: string) => string): string =>
  `${c.fn ? `${c.fn}(${quoteIdent(c.name)})` : quoteIdent(c.name)}${c.opclass ? ` ${c.opclass}` : ''}${c.desc ? ' DESC' : ''}`;

export function candidateKey(
  schema: string,
  table: string,
  columns: IndexColumn[],
  extra: { include?: string[]; method?: 'gin' } = {},
): string {
  const using = extra.method ? ` USING ${extra.method}` : '';
  const include = extra.include?.length ? ` INCLUDE (${extra.include.join(', ')})` : '';
  return `${schema}.${table}${using}(${columns.map(columnLabel).join(', ')})${include}`;
}

/** Estimated rows matching one value: lower is more selective. Unknown stats sort last, keeping query order. */
export function rowsPerValue(reltuples: number, stats: ColumnStats | undefined): number {
  if (!stats) return Number.POSITIVE_INFINITY;
  const rows = reltuples * (1 - stats.nullFrac);
  const distinct = stats.nDistinct < 0 ? -stats.nDistinct * reltuples : stats.nDistinct;
  return distinct > 0 ? rows / distinct : rows;
}

/**
 * B-tree candidates for one statement's use of one table, in the order a DBA
 * would write them: equality columns first (most selective first), then one
 * range column or the ORDER BY / GROUP BY columns with their direction.
 * Single-column candidates are included so the selector can prefer a narrow
 * index when the composite buys nothing more.
 */
export function buildCandidates(
  usage: TableUsage,
  stats: (column: string) => ColumnStats | undefined,
  options: CandidateOptions,
): CandidateIndex[] {
  const { table } = usage;
  const trailing = (c: string): boolean => options.rangeElsewhere?.has(c) ?? false;
  const bySelectivity = (cols: string[]): string[] =>
    cols
      .map((c, i) => ({ c, i, r: rowsPerValue(table.reltuples, stats(c)) }))
      .sort((a, b) => Number(trailing(a.c)) - Number(trailing(b.c)) || a.r - b.r || a.i - b.i)
      .map((x) => x.c);
  const eq = bySelectivity(usage.eq);
  const prefix = (usage.prefix ?? []).filter((c) => !eq.includes(c) && !usage.range.includes(c));
  const range = [...usage.range, ...prefix].filter((c) => !eq.includes(c));
  const patternOps = new Set(prefix.filter((c) => options.needsPatternOps?.(c) ?? false));
  const joins = usage.join.filter((c) => !eq.includes(c));
  const out = new Map<string, CandidateIndex>();
  const add = (cols: IndexColumn[], eqCount: number, servesSort: boolean): void => {
    const kept = cols.filter((c, i) => cols.findIndex((o) => o.name === c.name) === i).slice(0, options.maxColumns);
    if (kept.length === 0) return;
    const unique = ascendingWhenReversible(kept, eqCount);
    const key = candidateKey(table.schema, table.name, unique);
    if (out.has(key)) return;
    out.set(key, {
      key,
      tableOid: table.oid,
      schema: table.schema,
      table: table.name,
      columns: unique,
      eqCount: Math.min(eqCount, unique.length),
      servesSort,
    });
  };
  const asc = (c: string): IndexColumn =>
    patternOps.has(c) ? { name: c, desc: false, opclass: 'text_pattern_ops' } : { name: c, desc: false };
  for (const c of [...eq, ...joins, ...range]) add([asc(c)], eq.includes(c) || joins.includes(c) ? 1 : 0, false);
  if (usage.sort[0]) add([{ name: usage.sort[0].column, desc: usage.sort[0].desc }], 0, true);
  const eqCols = eq.map(asc);
  if (eq.length > 1) add(eqCols, eq.length, false);
  for (const r of range) {
    const sortOnRange = usage.sort.find((s) => s.column === r);
    add([...eqCols, { ...asc(r), desc: sortOnRange?.desc ?? false }], eq.length, sortOnRange !== undefined);
  }
  if (usage.sort.length > 0) {
    const sortCols = usage.sort.filter((s) => !eq.includes(s.column)).map((s) => ({ name: s.column, desc: s.desc }));
    add([...eqCols, ...sortCols], eq.length, true);
  }
  if (usage.group.length > 0)
    add([...eqCols, ...usage.group.filter((g) => !eq.includes(g)).map(asc)], eq.length, false);
  // A join column leads when the table is the inner side of a nested loop; the filter columns follow.
  for (const j of joins) if (eq.length > 0) add([asc(j), ...eqCols], 1, false);
  // Filter and join columns of one statement together: equality filters then the join column (an index
  // that serves the filter and hands the join its key), a join column then a range, and two join columns.
  for (const j of joins) {
    if (eq.length > 0) add([...eqCols, asc(j)], eq.length + 1, false);
    for (const r of range) add([asc(j), asc(r)], 1, false);
  }
  if (joins.length > 1) add(joins.slice(0, 2).map(asc), 2, false);
  return [...out.values()];
}

/**
 * A B-tree is read backwards as cheaply as forwards, so an ORDER BY whose columns are all DESC (past the
 * equality columns, whose direction never matters) is served by the plain ascending index (PostgreSQL docs,
 * "Indexes and ORDER BY": https://www.postgresql.org/docs/current/indexes-ordering.html). DESC is kept only
 * where directions are mixed, which a backward scan cannot serve.
 */
function ascendingWhenReversible(cols: IndexColumn[], eqCount: number): IndexColumn[] {
  const rest = cols.slice(Math.min(eqCount, cols.length));
  if (rest.length === 0 || !rest.every((c) => c.desc)) return cols;
  return cols.map((c) => (c.desc ? { ...c, desc: false } : c));
}

/**
 * True when an existing valid, non-partial B-tree already serves the
 * candidate: its leading key columns are the candidate's columns (equality
 * columns in any order), with ORDER BY directions equal or all reversed
 * (a B-tree scans backwards). Expression indexes never cover.
 */
export function coveringIndex(candidate: CandidateIndex, indexes: IndexInfo[]): IndexInfo | undefined {
  return indexes.find((idx) => {
    if (idx.tableOid !== candidate.tableOid || !idx.valid || idx.partial || idx.am !== 'btree') return false;
    // Operator classes, expressions, INCLUDE lists and predicates are not compared: such candidates are left to
    // the planner, which uses an existing index that already serves the statement and so shows no gain.
    if (candidate.columns.some((c) => c.opclass || c.fn) || candidate.where || candidate.include || candidate.method)
      return false;
    const n = candidate.columns.length;
    if (idx.columns.length < n) return false;
    const lead = idx.columns.slice(0, candidate.eqCount);
    const eqNames = candidate.columns.slice(0, candidate.eqCount).map((c) => c.name);
    if (lead.some((c) => c === null || !eqNames.includes(c)) || new Set(lead).size !== eqNames.length) return false;
    for (let i = candidate.eqCount; i < n; i++) if (idx.columns[i] !== candidate.columns[i]!.name) return false;
    if (!candidate.servesSort) return true;
    const rest = candidate.columns.slice(candidate.eqCount);
    const same = rest.every((c, i) => c.desc === (idx.desc[candidate.eqCount + i] ?? false));
    const reversed = rest.every((c, i) => c.desc !== (idx.desc[candidate.eqCount + i] ?? false));
    return same || reversed;
  });
}

/** CREATE INDEX CONCURRENTLY for a recommendation; names are quoted, never interpolated raw. */
export function createIndexSql(
  c: { schema: string; table: string; columns: IndexColumn[]; where?: string; include?: string[]; method?: 'gin' },
  quoteIdent: (s: string) => string,
): string {
  const cols = c.columns.map((col) => columnSql(col, quoteIdent)).join(', ');
  const using = c.method ? ` USING ${c.method}` : '';
  const include = c.include?.length ? ` INCLUDE (${c.include.map(quoteIdent).join(', ')})` : '';
  return `CREATE INDEX CONCURRENTLY ON ${quoteIdent(c.schema)}.${quoteIdent(c.table)}${using} (${cols})${include}${c.where ? ` WHERE ${c.where}` : ''};`;
}

/** A composite whose leading column an existing valid B-tree already starts with: it widens that index. */
export function extendsExisting(candidate: CandidateIndex, indexes: IndexInfo[]): boolean {
  const lead = candidate.columns[0]!.name;
  return (
    (candidate.columns.length > 1 || (candidate.include?.length ?? 0) > 0) &&
    !candidate.columns[0]!.fn &&
    indexes.some(
      (i) => i.tableOid === candidate.tableOid && i.valid && !i.partial && i.am === 'btree' && i.columns[0] === lead,
    )
  );
}
