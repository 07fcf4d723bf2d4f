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

export function hasDefElem(list: Node[] | undefined, name: string): boolean {
  return (list ?? []).some((d) => d.DefElem?.defname === name);
}

/** Functions known not to be volatile: a default using only these is stored in the catalog (PG11+). */
const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'statement_timestamp',
  'transaction_timestamp',
  'current_date',
  'lower',
  'upper',
  'btrim',
  'trim',
  'ltrim',
  'rtrim',
  'concat',
  'concat_ws',
  'length',
  'to_char',
  'to_timestamp',
  'to_date',
  'to_number',
  'make_interval',
  'make_date',
  'make_timestamp',
  'make_timestamptz',
  'date_trunc',
  'timezone',
  'abs',
  'round',
  'floor',
  'ceil',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'json_build_array',
  'array_length',
  'md5',
  'replace',
  'substring',
  'left',
  'right',
]);

/** Returns the name of the first function in `expr` that may be volatile, or undefined. */
export function volatileFunctionIn(expr: Node | undefined): string | undefined {
  let found: string | undefined;
  walk(expr, (n) => {
    if (found) return;
    if (n.FuncCall) {
      const name = (n.FuncCall.funcname ?? []).map(str).filter(Boolean).pop() as string | undefined;
      if (name && !NON_VOLATILE_FUNCTIONS.has(name.toLowerCase())) found = name;
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

/** The strongest table lock a statement takes, from the table in reference/migration-anchors.md §2b. */
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
