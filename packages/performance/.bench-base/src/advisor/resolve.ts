import type { TableInfo } from '../catalog/catalog.js';
import type { StatementShape, TableRef } from './parse-statement.js';

/** What one statement asks of one table, with columns resolved to the catalog. */
export interface TableUsage {
  table: TableInfo;
  eq: string[];
  range: string[];
  /** `LIKE 'abc%'`: a range on the column, which needs text_pattern_ops unless its collation is C. */
  prefix: string[];
  join: string[];
  sort: { column: string; desc: boolean }[];
  group: string[];
  /** `lower(email) = $1`: function and column, for an expression index. */
  expr?: { column: string; fn: string }[];
  /** Columns compared with an operator only GIN serves, with the operators seen. */
  gin?: { column: string; operators: string[] }[];
  /** Every column of this table the query level mentions (select list, filters, sort …). */
  refs?: string[];
  /** The query level selects `*`: no index can answer it alone. */
  star?: boolean;
}

export interface ResolveContext {
  /** Tables by `schema.name`. */
  tablesByKey: Map<string, TableInfo>;
  /** Tables by bare name (first in search order wins: `public` before others). */
  tablesByName: Map<string, TableInfo>;
  columns: Map<number, Map<string, string>>;
}

export function buildResolveContext(tables: TableInfo[], columns: Map<number, Map<string, string>>): ResolveContext {
  const tablesByKey = new Map<string, TableInfo>();
  const tablesByName = new Map<string, TableInfo>();
  for (const t of tables) {
    tablesByKey.set(`${t.schema}.${t.name}`, t);
    const prev = tablesByName.get(t.name);
    if (!prev || (t.schema === 'public' && prev.schema !== 'public')) tablesByName.set(t.name, t);
  }
  return { tablesByKey, tablesByName, columns };
}

export function lookupTable(ref: { schema?: string; name: string }, ctx: ResolveContext): TableInfo | undefined {
  return ref.schema ? ctx.tablesByKey.get(`${ref.schema}.${ref.name}`) : ctx.tablesByName.get(ref.name);
}

const push = <T>(list: T[], value: T, same: (a: T) => boolean): void => {
  if (!list.some(same)) list.push(value);
};

/**
 * Maps every column use of the statement to the table it belongs to: through
 * its qualifier (alias or table name) or, unqualified, to the one table in
 * the same query level that has such a column. Ambiguous or unknown columns
 * are dropped rather than guessed.
 */
export function resolveUsage(shape: StatementShape, ctx: ResolveContext): TableUsage[] {
  const usages = new Map<TableRef, TableUsage>();
  const resolved = new Map<TableRef, TableInfo>();
  for (const ref of shape.tables) {
    const t = lookupTable(ref, ctx);
    if (t) resolved.set(ref, t);
  }
  const findRef = (scope: number, qualifier: string | undefined, column: string): TableRef | undefined => {
    // Outer scopes are visible to correlated subqueries; search innermost first.
    const scopes = [...new Set(shape.tables.map((t) => t.scope))].filter((s) => s <= scope).sort((a, b) => b - a);
    for (const s of scopes) {
      const inScope = shape.tables.filter((t) => t.scope === s && resolved.has(t));
      const matches = qualifier
        ? inScope.filter((t) => (t.alias ?? t.name) === qualifier)
        : inScope.filter((t) => ctx.columns.get(resolved.get(t)!.oid)?.has(column));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) return undefined;
    }
    return undefined;
  };
  for (const use of [...shape.uses, ...(shape.mentions ?? []).map((m) => ({ ...m, kind: 'ref' as const }))]) {
    const ref = findRef(use.scope, use.qualifier, use.column);
    if (!ref) continue;
    const table = resolved.get(ref)!;
    if (!ctx.columns.get(table.oid)?.has(use.column)) continue;
    const u = usages.get(ref) ?? {
      table,
      eq: [],
      range: [],
      prefix: [],
      join: [],
      sort: [],
      group: [],
      expr: [],
      gin: [],
      refs: [],
      star: shape.starScopes?.includes(ref.scope) ?? false,
    };
    usages.set(ref, u);
    u.refs ??= [];
    u.expr ??= [];
    u.gin ??= [];
    const { refs, expr, gin } = u;
    const c = use.column;
    if (use.kind === 'sort') push(u.sort, { column: c, desc: use.direction === 'DESC' }, (s) => s.column === c);
    else if (use.kind === 'ref') push(refs, c, (x) => x === c);
    else if (use.kind === 'expr' && 'fn' in use && use.fn) {
      const fn = use.fn;
      push(expr, { column: c, fn }, (x) => x.column === c && x.fn === fn);
    } else if (use.kind === 'gin' && 'operator' in use && use.operator) {
      const g = gin.find((x) => x.column === c) ?? { column: c, operators: [] };
      if (!gin.includes(g)) gin.push(g);
      push(g.operators, use.operator, (x) => x === use.operator);
    } else if (use.kind !== 'expr' && use.kind !== 'gin') push(u[use.kind], c, (x) => x === c);
  }
  // A table only mentioned (no filter, join, sort or group on it) asks nothing an index could serve.
  return [...usages.values()].filter(
    (u) =>
      u.eq.length + u.range.length + u.prefix.length + u.join.length + u.sort.length + u.group.length > 0 ||
      (u.expr?.length ?? 0) + (u.gin?.length ?? 0) > 0,
  );
}
