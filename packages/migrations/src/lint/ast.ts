import type { Node } from './parse.js';

export type LockMode =
  | 'AccessShareLock'
  | 'RowShareLock'
  | 'RowExclusiveLock'
  | 'ShareUpdateExclusiveLock'
  | 'ShareLock'
  | 'ShareRowExclusiveLock'
  | 'ExclusiveLock'
  | 'AccessExclusiveLock';

export const LOCK_ORDER: LockMode[] = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

/** ACCESS EXCLUSIVE → "ACCESS EXCLUSIVE", the spelling of the PostgreSQL docs. */
export function lockLabel(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

export function maxLock(a: LockMode | undefined, b: LockMode | undefined): LockMode | undefined {
  if (!a) return b;
  if (!b) return a;
  return LOCK_ORDER.indexOf(a) >= LOCK_ORDER.indexOf(b) ? a : b;
}

export function str(n: Node | undefined): string | undefined {
  return n?.String?.sval;
}

/** `schema.name` of a RangeVar; unqualified names get the default schema. */
export function relName(rv: Node | undefined, defaultSchema: string): string {
  if (!rv) return '';
  return `${rv.schemaname ?? defaultSchema}.${rv.relname}`;
}

/** `schema.name` of a qualified-name list (`[String, String]`). */
export function listName(items: Node[] | undefined, defaultSchema: string): string {
  const parts = (items ?? []).map(str).filter((s): s is string => !!s);
  if (parts.length === 0) return '';
  if (parts.length === 1) return `${defaultSchema}.${parts[0]}`;
  return parts.slice(-2).join('.');
}

export interface TypeInfo {
  name: string;
  mods: number[];
  array: boolean;
}

export function typeInfo(typeName: Node | undefined): TypeInfo | undefined {
  if (!typeName) return undefined;
  const names = (typeName.names ?? []).map(str).filter(Boolean) as string[];
  const name = names[names.length - 1] ?? '';
  const mods = (typeName.typmods ?? []).map((m: Node) => m.A_Const?.ival?.ival ?? 0);
  return { name, mods, array: Array.isArray(typeName.arrayBounds) && typeName.arrayBounds.length > 0 };
}

export function alterCmds(node: Node): Node[] {
  return (node.cmds ?? []).map((c: Node) => c.AlterTableCmd).filter(Boolean);
}

export function constraintsOf(colDef: Node | undefined): Node[] {
  return (colDef?.constraints ?? []).map((c: Node) => c.Constraint).filter(Boolean);
}

/**
 * The boolean value of option `name` in a DefElem list (`VACUUM (FULL FALSE)`,
 * `REINDEX (CONCURRENTLY false)`): absent → false, named without a value →
 * true, else the value read as PostgreSQL's defGetBoolean does (true/false,
 * on/off, 1/0). The last occurrence wins, as in the server.
 */
export function hasDefElem(list: Node[] | undefined, name: string): boolean {
  let on = false;
  for (const d of list ?? []) {
    if (d.DefElem?.defname !== name) continue;
    on = defElemBool(d.DefElem.arg);
  }
  return on;
}

function defElemBool(arg: Node | undefined): boolean {
  if (!arg) return true;
  if (arg.Integer) return (arg.Integer.ival ?? 0) !== 0;
  if (arg.Boolean) return !!arg.Boolean.boolval;
  const v = String(arg.String?.sval ?? '').toLowerCase();
  return !(v === 'false' || v === 'off' || v === '0' || v === 'no');
}

/**
 * Built-in functions known not to be volatile, with the argument counts of
 * their built-in signatures: a default using only these is stored in the
 * catalog (PG11+). Matching the name alone would accept `now(123)` (no such
 * built-in: it resolves to a user function, or fails) and `app.now()`.
 */
const NON_VOLATILE_FUNCTIONS: Record<string, readonly number[]> = {
  now: [0],
  statement_timestamp: [0],
  transaction_timestamp: [0],
  current_date: [0],
  lower: [1],
  upper: [1],
  btrim: [1, 2],
  trim: [1, 2],
  ltrim: [1, 2],
  rtrim: [1, 2],
  concat: [-1],
  concat_ws: [-1],
  length: [1, 2],
  to_char: [1, 2],
  to_timestamp: [1, 2],
  to_date: [2],
  to_number: [2],
  make_interval: [-1],
  make_date: [3],
  make_timestamp: [6],
  make_timestamptz: [6, 7],
  date_trunc: [2, 3],
  timezone: [2],
  abs: [1],
  round: [1, 2],
  floor: [1],
  ceil: [1],
  jsonb_build_object: [-1],
  json_build_object: [-1],
  jsonb_build_array: [-1],
  json_build_array: [-1],
  array_length: [2],
  md5: [1],
  replace: [3],
  substring: [2, 3],
  left: [2],
  right: [2],
};

function isKnownStable(call: Node): boolean {
  const parts = (call.funcname ?? []).map(str).filter(Boolean) as string[];
  const name = parts[parts.length - 1]?.toLowerCase();
  // Only the built-in: unqualified (pg_catalog comes first on search_path) or pg_catalog.f.
  if (!name || parts.length > 2 || (parts.length === 2 && parts[0]!.toLowerCase() !== 'pg_catalog')) return false;
  const arities = NON_VOLATILE_FUNCTIONS[name];
  if (!arities || call.agg_star || call.over) return false;
  const n = (call.args ?? []).length;
  return arities.includes(-1) || arities.includes(n);
}

/** Returns the name of the first function in `expr` that may be volatile, or undefined. */
export function volatileFunctionIn(expr: Node | undefined): string | undefined {
  let found: string | undefined;
  walk(expr, (n) => {
    if (found) return;
    if (n.FuncCall && !isKnownStable(n.FuncCall)) {
      found = (n.FuncCall.funcname ?? []).map(str).filter(Boolean).join('.') || 'a function';
    }
    if (n.SubLink) found = 'a subquery';
  });
  return found;
}

export function walk(n: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(n)) {
    for (const x of n) walk(x, visit);
    return;
  }
  if (n && typeof n === 'object') {
    visit(n as Node);
    for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v, visit);
  }
}

/** `col IS NOT NULL` → 'col'; anything else → undefined. */
export function notNullCheckColumn(expr: Node | undefined): string | undefined {
  const t = expr?.NullTest;
  if (t?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = t.arg?.ColumnRef?.fields ?? [];
  return fields.length === 1 ? str(fields[0]) : undefined;
}

export interface StatementLock {
  mode: LockMode;
  /** `schema.table` names the lock applies to. */
  tables: string[];
}

/**
 * The strongest table lock a statement takes, per the PostgreSQL docs' "Explicit Locking" table
 * (13.3.1) and each command's reference page (ALTER TABLE lists the lock of every subform).
 */
// Long: a lookup table (statement kind → lock) written as a switch, one case per command.
export function statementLock(type: string, node: Node, defaultSchema: string): StatementLock | undefined {
  const rel = (rv: Node | undefined) => relName(rv, defaultSchema);
  switch (type) {
    case 'AlterTableStmt': {
      if (node.objtype !== 'OBJECT_TABLE' && node.objtype !== 'OBJECT_MATVIEW')
        return { mode: 'AccessExclusiveLock', tables: [rel(node.relation)] };
      let mode: LockMode | undefined;
      const tables = [rel(node.relation)];
      for (const cmd of alterCmds(node)) {
        let m: LockMode = 'AccessExclusiveLock';
        switch (cmd.subtype) {
          case 'AT_SetStatistics':
          case 'AT_SetRelOptions':
          case 'AT_ResetRelOptions':
          case 'AT_ClusterOn':
          case 'AT_DropCluster':
          case 'AT_ValidateConstraint':
          case 'AT_AttachPartition':
            m = 'ShareUpdateExclusiveLock';
            break;
          case 'AT_DetachPartition':
            m = cmd.def?.PartitionCmd?.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
            break;
          case 'AT_EnableTrig':
          case 'AT_DisableTrig':
          case 'AT_EnableTrigAll':
          case 'AT_DisableTrigAll':
          case 'AT_EnableTrigUser':
          case 'AT_DisableTrigUser':
          case 'AT_EnableAlwaysTrig':
          case 'AT_EnableReplicaTrig':
            m = 'ShareRowExclusiveLock';
            break;
          case 'AT_AddConstraint': {
            const c = cmd.def?.Constraint;
            if (c?.contype === 'CONSTR_FOREIGN') {
              m = 'ShareRowExclusiveLock';
              tables.push(rel(c.pktable));
            }
            break;
          }
        }
        mode = maxLock(mode, m);
      }
      return mode ? { mode, tables } : undefined;
    }
    case 'IndexStmt':
      return { mode: node.concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock', tables: [rel(node.relation)] };
    case 'DropStmt':
      if (node.removeType === 'OBJECT_INDEX')
        return { mode: node.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock', tables: [] };
      if (
        node.removeType === 'OBJECT_TABLE' ||
        node.removeType === 'OBJECT_MATVIEW' ||
        node.removeType === 'OBJECT_VIEW'
      ) {
        return {
          mode: 'AccessExclusiveLock',
          tables: (node.objects ?? []).map((o: Node) => listName(o.List?.items, defaultSchema)),
        };
      }
      return undefined;
    case 'ReindexStmt':
      return {
        mode: hasDefElem(node.params, 'concurrently') ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock',
        tables: [rel(node.relation)],
      };
    case 'CreateTrigStmt':
      return { mode: 'ShareRowExclusiveLock', tables: [rel(node.relation)] };
    case 'TruncateStmt':
      return { mode: 'AccessExclusiveLock', tables: (node.relations ?? []).map((r: Node) => rel(r.RangeVar)) };
    case 'RefreshMatViewStmt':
      return { mode: node.concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock', tables: [rel(node.relation)] };
    case 'VacuumStmt': {
      const full = hasDefElem(node.options, 'full');
      if (!node.is_vacuumcmd) return { mode: 'ShareUpdateExclusiveLock', tables: [] };
      return {
        mode: full ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock',
        tables: (node.rels ?? []).map((r: Node) => rel(r.VacuumRelation?.relation)),
      };
    }
    case 'ClusterStmt':
      return { mode: 'AccessExclusiveLock', tables: [rel(node.relation)] };
    case 'RenameStmt':
      return node.relation ? { mode: 'AccessExclusiveLock', tables: [rel(node.relation)] } : undefined;
    case 'CreateStmt': {
      // New table: only referenced tables of inline foreign keys are locked (SHARE ROW EXCLUSIVE).
      const refs: string[] = [];
      for (const e of node.tableElts ?? []) {
        for (const c of e.ColumnDef ? constraintsOf(e.ColumnDef) : e.Constraint ? [e.Constraint] : []) {
          if (c.contype === 'CONSTR_FOREIGN') refs.push(rel(c.pktable));
        }
      }
      return refs.length ? { mode: 'ShareRowExclusiveLock', tables: refs } : undefined;
    }
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt':
      return { mode: 'RowExclusiveLock', tables: [rel(node.relation)] };
    default:
      return undefined;
  }
}

export interface ColumnTypeUse {
  column: string;
  type: TypeInfo;
  relation: Node | undefined;
  constraints: Node[];
}

/** Column types introduced by CREATE TABLE, ADD COLUMN and ALTER COLUMN TYPE. */
export function columnTypeUses(type: string, node: Node): ColumnTypeUse[] {
  const out: ColumnTypeUse[] = [];
  if (type === 'CreateStmt') {
    for (const e of node.tableElts ?? []) {
      const t = typeInfo(e.ColumnDef?.typeName);
      if (t)
        out.push({
          column: e.ColumnDef.colname,
          type: t,
          relation: node.relation,
          constraints: constraintsOf(e.ColumnDef),
        });
    }
  }
  if (type === 'AlterTableStmt') {
    for (const cmd of alterCmds(node)) {
      const def = cmd.def?.ColumnDef;
      const t = typeInfo(def?.typeName);
      if (!t) continue;
      if (cmd.subtype === 'AT_AddColumn')
        out.push({ column: def.colname, type: t, relation: node.relation, constraints: constraintsOf(def) });
      if (cmd.subtype === 'AT_AlterColumnType')
        out.push({ column: cmd.name, type: t, relation: node.relation, constraints: [] });
    }
  }
  return out;
}

const SCANNING_ALTERS = new Set([
  'AT_AlterColumnType',
  'AT_SetNotNull',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetTableSpace',
  'AT_SetAccessMethod',
]);

/**
 * Statements that read or rewrite a whole existing table while holding a
 * lock of SHARE or stronger: they last as long as the table is big, which is
 * what statement_timeout bounds (require-statement-timeout). Catalog-only
 * changes are not included.
 */
export function scansOrRewrites(type: string, node: Node): boolean {
  switch (type) {
    case 'IndexStmt':
      return !node.concurrent;
    case 'ReindexStmt':
      return !hasDefElem(node.params, 'concurrently');
    case 'VacuumStmt':
      return !!node.is_vacuumcmd && hasDefElem(node.options, 'full');
    case 'ClusterStmt':
      return true;
    case 'RefreshMatViewStmt':
      return true;
    case 'AlterDomainStmt':
      return (node.subtype === 'C' && !node.def?.Constraint?.skip_validation) || node.subtype === 'O';
    case 'AlterTableStmt':
      return alterCmds(node).some((c) => {
        if (SCANNING_ALTERS.has(c.subtype)) return true;
        const k = c.def?.Constraint;
        if (c.subtype === 'AT_AddConstraint') return !k?.skip_validation && !k?.indexname;
        if (c.subtype !== 'AT_AddColumn') return false;
        return constraintsOf(c.def?.ColumnDef).some(
          (x) =>
            ['CONSTR_CHECK', 'CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_IDENTITY'].includes(x.contype) ||
            (x.contype === 'CONSTR_GENERATED' && x.generated_kind !== 'v') ||
            (x.contype === 'CONSTR_DEFAULT' && volatileFunctionIn(x.raw_expr) !== undefined),
        );
      });
    default:
      return false;
  }
}
