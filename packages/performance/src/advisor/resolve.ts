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
  for (const use of shape.uses) {
    const ref = findRef(use.scope, use.qualifier, use.column);
    if (!ref) continue;
    const table = resolved.get(ref)!;
    if (!ctx.columns.get(table.oid)?.has(use.column)) continue;
    const u = usages.get(ref) ?? { table, eq: [], range: [], prefix: [], join: [], sort: [], group: [] };
    usages.set(ref, u);
    const c = use.column;
    if (use.kind === 'sort') push(u.sort, { column: c, desc: use.direction === 'DESC' }, (s) => s.column === c);
    else push(u[use.kind], c, (x) => x === c);
  }
  return [...usages.values()];
}
