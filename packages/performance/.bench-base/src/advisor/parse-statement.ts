import { loadParser, parseSql } from '../sql/parser.js';

/** How a column is used by a statement, as far as an index could serve it. */
/** `prefix`: `LIKE 'abc%'`, a range a B-tree serves (with text_pattern_ops unless the column's collation is C). */
/**
 * `expr`: an immutable-looking function of one column compared with a value (`lower(email) = $1`), which an
 * expression index serves; `gin`: a containment/existence/match operator (`@>`, `?`, `&&`, `@@` …) that only a
 * GIN index serves.
 */
export type ColumnUseKind = 'eq' | 'range' | 'join' | 'sort' | 'group' | 'prefix' | 'expr' | 'gin';

export interface TableRef {
  scope: number;
  schema?: string;
  name: string;
  alias?: string;
}

export interface ColumnUse {
  scope: number;
  qualifier?: string;
  column: string;
  kind: ColumnUseKind;
  /** Only for `sort`. */
  direction?: 'ASC' | 'DESC';
  /** For `eq`/`range` against a bare parameter: its number and the operator, to plan with sampled values. */
  param?: { number: number; operator: string };
  /** For `expr`: the function applied to the column (`lower`). */
  fn?: string;
  /** For `gin`: the operator (`@>`). */
  operator?: string;
}

export type NonSargableKind = 'function_on_column' | 'cast_on_column' | 'leading_wildcard' | 'or_across_columns';

export interface NonSargable {
  scope: number;
  kind: NonSargableKind;
  columns: { qualifier?: string; column: string }[];
  /** Function name, or the LIKE pattern shape (never a value). */
  detail?: string;
}

export interface StatementShape {
  kind: 'select' | 'update' | 'delete' | 'insert' | 'other';
  tables: TableRef[];
  uses: ColumnUse[];
  nonSargable: NonSargable[];
  /** Highest $n seen: the number of parameters EXECUTE must pass. */
  paramCount: number;
  /** Scopes (query levels) that have more than one FROM item and no condition linking them. */
  crossJoinScopes: number[];
  /** The table an INSERT, UPDATE or DELETE writes to. */
  target?: TableRef;
  /** Every function called anywhere in the statement (lower-case, unqualified). */
  functions: string[];
  /** UPDATE only: the columns its SET list assigns (an update that changes no indexed column can be HOT). */
  setColumns?: string[];
  /** Query levels whose select list has `*` (every column is read: no index-only scan to offer). */
  starScopes: number[];
  /**
   * Every column each query level mentions (select list, filters, sort, group, join conditions): what an index
   * must hold, as INCLUDE columns, for an index-only scan.
   */
  mentions: { scope: number; qualifier?: string; column: string }[];
}

export type ShapeOutcome =
  | { ok: true; shape: StatementShape }
  | { ok: false; reason: 'unparseable' | 'empty'; error?: string };

type Node = Record<string, unknown>;

const RANGE_OPS = new Set(['<', '<=', '>', '>=']);
/** Operators only a GIN index serves among the built-in operator classes (jsonb, arrays, tsvector). */
const GIN_OPS = new Set(['@>', '<@', '?', '?|', '?&', '&&', '@@', '@?']);

function asNode(v: unknown): Node | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function strOf(v: unknown): string | undefined {
  const n = asNode(v);
  const s = n && asNode(n['String']);
  return s && typeof s['sval'] === 'string' ? s['sval'] : undefined;
}

/** `ColumnRef` → qualifier + column (ignores `*`). */
function columnRef(v: unknown): { qualifier?: string; column: string } | undefined {
  const n = asNode(v);
  const ref = n && asNode(n['ColumnRef']);
  if (!ref) return undefined;
  const fields = asList(ref['fields']).map(strOf);
  if (fields.some((f) => f === undefined) || fields.length === 0) return undefined;
  const column = fields[fields.length - 1]!;
  const qualifier = fields.length >= 2 ? fields[fields.length - 2] : undefined;
  return qualifier ? { qualifier, column } : { column };
}

/** A column hidden under a function call or cast, e.g. lower(email) or created_at::date. */
function wrappedColumn(
  v: unknown,
): { kind: NonSargableKind; col: { qualifier?: string; column: string }; detail?: string } | undefined {
  const n = asNode(v);
  if (!n) return undefined;
  const fn = asNode(n['FuncCall']);
  if (fn) {
    for (const arg of asList(fn['args'])) {
      const col = columnRef(arg) ?? wrappedColumn(arg)?.col;
      if (col) return { kind: 'function_on_column', col, detail: asList(fn['funcname']).map(strOf).join('.') };
    }
  }
  const cast = asNode(n['TypeCast']);
  if (cast) {
    const col = columnRef(cast['arg']);
    if (col) return { kind: 'cast_on_column', col };
  }
  return undefined;
}

/** `f(col)`: an unqualified function name of one argument, a bare column (what an expression index can hold). */
function functionOfColumn(v: unknown): { fn: string; col: { qualifier?: string; column: string } } | undefined {
  const fn = asNode(asNode(v)?.['FuncCall']);
  if (!fn || fn['agg_star'] || fn['over']) return undefined;
  const args = asList(fn['args']);
  const names = asList(fn['funcname']).map(strOf);
  const name = names.at(-1);
  if (args.length !== 1 || !name || names.some((n) => n === undefined) || !/^[a-z_][a-z0-9_]*$/.test(name))
    return undefined;
  const col = columnRef(args[0]);
  return col ? { fn: name, col } : undefined;
}

/** True when a select-list item is `*` or `t.*`. */
function hasStar(v: unknown): boolean {
  const ref = asNode(asNode(v)?.['ColumnRef']);
  return asList(ref?.['fields']).some((f) => asNode(f)?.['A_Star'] !== undefined);
}

/** The ON conditions of every join in a FROM list (their columns are read by the query level too). */
function joinQuals(from: unknown[]): unknown[] {
  const out: unknown[] = [];
  const visit = (item: unknown): void => {
    const join = asNode(asNode(item)?.['JoinExpr']);
    if (!join) return;
    out.push(join['quals']);
    visit(join['larg']);
    visit(join['rarg']);
  };
  for (const f of from) visit(f);
  return out;
}

/**
 * The column an ORDER BY item sorts on: a column, an ordinal (`ORDER BY 1`) or an output alias
 * (`ORDER BY u` for `SELECT a AS u`), which PostgreSQL resolves to the select list first.
 */
function sortColumn(v: unknown, outputs: (Node | undefined)[]): { qualifier?: string; column: string } | undefined {
  const ordinal = asNode(asNode(asNode(v)?.['A_Const'])?.['ival'])?.['ival'];
  if (typeof ordinal === 'number') return columnRef(outputs[ordinal - 1]?.['val']);
  const col = columnRef(v);
  if (col && !col.qualifier) {
    const named = outputs.find((o) => o?.['name'] === col.column);
    if (named) return columnRef(named['val']);
  }
  return col;
}

/** `$n`, or `$n::type`: the parameter's number. */
function paramNumber(v: unknown): number | undefined {
  const n = asNode(v);
  const p = asNode(n?.['ParamRef']) ?? asNode(asNode(asNode(n?.['TypeCast'])?.['arg'])?.['ParamRef']);
  return typeof p?.['number'] === 'number' ? p['number'] : undefined;
}

function isValueLike(v: unknown): boolean {
  const n = asNode(v);
  if (!n) return false;
  if ('ParamRef' in n || 'A_Const' in n) return true;
  const cast = asNode(n['TypeCast']);
  if (cast) return isValueLike(cast['arg']);
  // now(), current_date and similar are constant within a statement.
  if ('SQLValueFunction' in n) return true;
  const fn = asNode(n['FuncCall']);
  if (fn) return asList(fn['args']).every(isValueLike);
  const expr = asNode(n['A_Expr']);
  if (expr) return isValueLike(expr['lexpr']) && isValueLike(expr['rexpr']);
  return false;
}

class ShapeBuilder {
  readonly shape: StatementShape = {
    kind: 'other',
    tables: [],
    uses: [],
    nonSargable: [],
    paramCount: 0,
    crossJoinScopes: [],
    functions: [],
    starScopes: [],
    mentions: [],
  };
  #nextScope = 0;

  statement(stmt: Node): void {
    if (stmt['SelectStmt']) {
      this.shape.kind = 'select';
      this.select(asNode(stmt['SelectStmt'])!);
    } else if (stmt['UpdateStmt']) {
      this.shape.kind = 'update';
      const u = asNode(stmt['UpdateStmt'])!;
      const scope = this.#nextScope++;
      this.rangeVar(u['relation'], scope);
      this.shape.target = this.shape.tables.at(-1);
      for (const f of asList(u['fromClause'])) this.fromItem(f, scope);
      this.where(u['whereClause'], scope);
      this.shape.setColumns = asList(u['targetList'])
        .map((t) => asNode(asNode(t)?.['ResTarget'])?.['name'])
        .filter((n): n is string => typeof n === 'string');
      this.walkForSubqueries(u['targetList']);
    } else if (stmt['DeleteStmt']) {
      this.shape.kind = 'delete';
      const d = asNode(stmt['DeleteStmt'])!;
      const scope = this.#nextScope++;
      this.rangeVar(d['relation'], scope);
      this.shape.target = this.shape.tables.at(-1);
      for (const f of asList(d['usingClause'])) this.fromItem(f, scope);
      this.where(d['whereClause'], scope);
    } else if (stmt['InsertStmt']) {
      this.shape.kind = 'insert';
      const i = asNode(stmt['InsertStmt'])!;
      this.rangeVar(i['relation'], this.#nextScope++);
      this.shape.target = this.shape.tables.at(-1);
      const sel = asNode(asNode(i['selectStmt'])?.['SelectStmt']);
      if (sel && !sel['valuesLists']) this.select(sel);
    }
    this.countParams(stmt);
  }

  select(sel: Node): void {
    for (const cte of asList(asNode(sel['withClause'])?.['ctes'])) {
      const q = asNode(asNode(asNode(cte)?.['CommonTableExpr'])?.['ctequery']);
      if (q) this.statement(q);
    }
    if (sel['op'] && sel['op'] !== 'SETOP_NONE') {
      for (const side of [sel['larg'], sel['rarg']]) {
        const s = asNode(side);
        if (s) this.select(s);
      }
      return;
    }
    const scope = this.#nextScope++;
    const from = asList(sel['fromClause']);
    for (const f of from) this.fromItem(f, scope);
    const joinsBefore = this.shape.uses.filter((u) => u.kind === 'join').length;
    this.where(sel['whereClause'], scope);
    this.where(sel['havingClause'], scope);
    const joinsAfter = this.shape.uses.filter((u) => u.kind === 'join' && u.scope === scope).length;
    const directTables = from.filter((f) => asNode(f)?.['RangeVar']).length;
    if (directTables > 1 && joinsAfter === 0 && joinsBefore === joinsAfter) this.shape.crossJoinScopes.push(scope);
    const outputs = asList(sel['targetList']).map((t) => asNode(asNode(t)?.['ResTarget']));
    for (const s of asList(sel['sortClause'])) {
      const by = asNode(asNode(s)?.['SortBy']);
      const col = by && sortColumn(by['node'], outputs);
      if (col)
        this.shape.uses.push({
          scope,
          ...col,
          kind: 'sort',
          direction: by['sortby_dir'] === 'SORTBY_DESC' ? 'DESC' : 'ASC',
        });
    }
    for (const g of asList(sel['groupClause'])) {
      const col = columnRef(g);
      if (col) this.shape.uses.push({ scope, ...col, kind: 'group' });
    }
    if (outputs.some((o) => hasStar(o?.['val']))) this.shape.starScopes.push(scope);
    const mentioned = [
      sel['targetList'],
      sel['whereClause'],
      sel['havingClause'],
      sel['sortClause'],
      sel['groupClause'],
    ];
    for (const c of this.columnsIn([...mentioned, joinQuals(from)])) this.shape.mentions.push({ scope, ...c });
    this.walkForSubqueries(sel['targetList']);
  }

  fromItem(item: unknown, scope: number): void {
    const n = asNode(item);
    if (!n) return;
    if (n['RangeVar']) this.rangeVar(item, scope);
    const join = asNode(n['JoinExpr']);
    if (join) {
      this.fromItem(join['larg'], scope);
      this.fromItem(join['rarg'], scope);
      this.where(join['quals'], scope);
    }
    const sub = asNode(n['RangeSubselect']);
    if (sub) {
      const q = asNode(asNode(sub['subquery'])?.['SelectStmt']);
      if (q) this.select(q);
    }
  }

  rangeVar(v: unknown, scope: number): void {
    // FROM items are wrapped ({ RangeVar: … }); INSERT/UPDATE/DELETE targets are the bare node.
    const node = asNode(v);
    const rv = asNode(node?.['RangeVar']) ?? (typeof node?.['relname'] === 'string' ? node : undefined);
    if (!rv || typeof rv['relname'] !== 'string') return;
    const alias = asNode(rv['alias'])?.['aliasname'];
    this.shape.tables.push({
      scope,
      name: rv['relname'],
      ...(typeof rv['schemaname'] === 'string' ? { schema: rv['schemaname'] } : {}),
      ...(typeof alias === 'string' ? { alias } : {}),
    });
  }

  where(expr: unknown, scope: number): void {
    const n = asNode(expr);
    if (!n) return;
    const bool = asNode(n['BoolExpr']);
    if (bool) {
      const args = asList(bool['args']);
      if (bool['boolop'] === 'AND_EXPR') {
        for (const a of args) this.where(a, scope);
      } else if (bool['boolop'] === 'OR_EXPR') {
        const cols = new Map<string, { qualifier?: string; column: string }>();
        for (const a of args) for (const c of this.columnsIn(a)) cols.set(`${c.qualifier ?? ''}.${c.column}`, c);
        if (cols.size > 1)
          this.shape.nonSargable.push({ scope, kind: 'or_across_columns', columns: [...cols.values()] });
        this.walkForSubqueries(args);
      } else {
        this.walkForSubqueries(args);
      }
      return;
    }
    const a = asNode(n['A_Expr']);
    if (a) {
      this.comparison(a, scope);
      return;
    }
    const nullTest = asNode(n['NullTest']);
    if (nullTest) {
      const col = columnRef(nullTest['arg']);
      if (col) this.shape.uses.push({ scope, ...col, kind: 'eq' });
      return;
    }
    this.walkForSubqueries(n);
  }

  comparison(a: Node, scope: number): void {
    const kind = a['kind'];
    const op = strOf(asList(a['name'])[0]);
    const l = a['lexpr'];
    const r = a['rexpr'];
    const lc = columnRef(l);
    const rc = columnRef(r);
    if (kind === 'AEXPR_OP' && op === '=' && lc && rc) {
      this.shape.uses.push({ scope, ...lc, kind: 'join' }, { scope, ...rc, kind: 'join' });
      return;
    }
    if (kind === 'AEXPR_OP' && op && GIN_OPS.has(op) && lc && isValueLike(r)) {
      this.shape.uses.push({ scope, ...lc, kind: 'gin', operator: op });
      return;
    }
    if (kind === 'AEXPR_OP' && op && (op === '=' || RANGE_OPS.has(op)) && !lc && !rc) {
      const fl = functionOfColumn(l);
      const fr = functionOfColumn(r);
      if (fl && isValueLike(r)) this.shape.uses.push({ scope, ...fl.col, kind: 'expr', fn: fl.fn });
      else if (fr && isValueLike(l)) this.shape.uses.push({ scope, ...fr.col, kind: 'expr', fn: fr.fn });
    }
    if (kind === 'AEXPR_OP' && op && (op === '=' || RANGE_OPS.has(op))) {
      const useKind: ColumnUseKind = op === '=' ? 'eq' : 'range';
      const mirrored: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '=': '=' };
      const lp = paramNumber(r);
      const rp = paramNumber(l);
      if (lc && isValueLike(r))
        this.shape.uses.push({ scope, ...lc, kind: useKind, ...(lp ? { param: { number: lp, operator: op } } : {}) });
      else if (rc && isValueLike(l))
        this.shape.uses.push({
          scope,
          ...rc,
          kind: useKind,
          ...(rp ? { param: { number: rp, operator: mirrored[op]! } } : {}),
        });
      else this.nonSargable(l, r, scope);
      this.walkForSubqueries([l, r]);
      return;
    }
    // `col = ANY($1)` / `col = ANY(ARRAY[…])`: an equality lookup of several values, like IN.
    if (kind === 'AEXPR_OP_ANY' && op === '=' && lc && isValueLike(r)) {
      this.shape.uses.push({ scope, ...lc, kind: 'eq' });
      return;
    }
    if (kind === 'AEXPR_IN' && lc) {
      this.shape.uses.push({ scope, ...lc, kind: 'eq' });
      return;
    }
    if ((kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_BETWEEN_SYM') && lc) {
      this.shape.uses.push({ scope, ...lc, kind: 'range' });
      return;
    }
    if (kind === 'AEXPR_LIKE' || kind === 'AEXPR_ILIKE') {
      const pattern = asNode(asNode(asNode(r)?.['A_Const'])?.['sval'])?.['sval'];
      const col = lc ?? wrappedColumn(l)?.col;
      if (col && typeof pattern === 'string' && /^[%_]/.test(pattern)) {
        this.shape.nonSargable.push({
          scope,
          kind: 'leading_wildcard',
          columns: [col],
          detail: `${kind === 'AEXPR_ILIKE' ? 'ILIKE' : 'LIKE'} '%…'`,
        });
      } else if (lc && kind === 'AEXPR_LIKE' && typeof pattern === 'string' && /^[^%_\\]+[%_]/.test(pattern)) {
        this.shape.uses.push({ scope, ...lc, kind: 'prefix' });
      } else if (!lc) this.nonSargable(l, r, scope);
      return;
    }
    this.walkForSubqueries([l, r]);
  }

  nonSargable(l: unknown, r: unknown, scope: number): void {
    for (const side of [l, r]) {
      const w = wrappedColumn(side);
      if (w)
        this.shape.nonSargable.push({
          scope,
          kind: w.kind,
          columns: [w.col],
          ...(w.detail ? { detail: w.detail } : {}),
        });
    }
  }

  columnsIn(v: unknown): { qualifier?: string; column: string }[] {
    const out: { qualifier?: string; column: string }[] = [];
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) {
        for (const item of x) visit(item);
        return;
      }
      const n = asNode(x);
      if (!n) return;
      const c = columnRef(n);
      if (c) {
        out.push(c);
        return;
      }
      if (n['SubLink']) return;
      for (const value of Object.values(n)) visit(value);
    };
    visit(v);
    return out;
  }

  /** Sub-selects in expressions (EXISTS, IN (SELECT …), scalar subqueries) are statements of their own. */
  walkForSubqueries(v: unknown): void {
    if (Array.isArray(v)) {
      for (const x of v) this.walkForSubqueries(x);
      return;
    }
    const n = asNode(v);
    if (!n) return;
    const link = asNode(n['SubLink']);
    if (link) {
      const sel = asNode(asNode(link['subselect'])?.['SelectStmt']);
      if (sel) this.select(sel);
      return;
    }
    for (const value of Object.values(n)) if (typeof value === 'object') this.walkForSubqueries(value);
  }

  countParams(v: unknown): void {
    const visit = (x: unknown): void => {
      if (Array.isArray(x)) {
        for (const item of x) visit(item);
        return;
      }
      const n = asNode(x);
      if (!n) return;
      const p = asNode(n['ParamRef']);
      if (p && typeof p['number'] === 'number') this.shape.paramCount = Math.max(this.shape.paramCount, p['number']);
      const fn = asNode(n['FuncCall']);
      const fname = fn && strOf(asList(fn['funcname']).at(-1));
      if (fname && !this.shape.functions.includes(fname.toLowerCase())) this.shape.functions.push(fname.toLowerCase());
      for (const value of Object.values(n)) if (typeof value === 'object') visit(value);
    };
    visit(v);
  }
}

/**
 * Reads what an index could serve from one statement: tables with their
 * aliases, columns compared with values (equality or range), join columns,
 * ORDER BY (with direction) and GROUP BY, and predicates no B-tree can use.
 */
export function readStatementShape(text: string): ShapeOutcome {
  const parsed = parseSql(text);
  if (!parsed.ok) return { ok: false, reason: 'unparseable', error: parsed.error };
  if (parsed.tree.length !== 1)
    return { ok: false, reason: parsed.tree.length === 0 ? 'empty' : 'unparseable', error: 'expected one statement' };
  const builder = new ShapeBuilder();
  builder.statement(parsed.tree[0] as Node);
  return { ok: true, shape: builder.shape };
}

/**
 * {@link readStatementShape} for callers outside the package: loads the WASM parser first, so it works
 * whether or not anything else has used the parser yet.
 */
export async function parseStatement(text: string): Promise<ShapeOutcome> {
  await loadParser();
  return readStatementShape(text);
}
