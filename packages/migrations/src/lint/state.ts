import {
  alterCmds,
  constraintsOf,
  type LockMode,
  listName,
  maxLock,
  notNullCheckColumn,
  relName,
  statementLock,
  type TypeInfo,
  typeInfo,
} from './ast.js';
import type { Node, ParsedStatement } from './parse.js';
import type { LintCatalog } from './types.js';

/**
 * What the linter has learned so far in a run: tables created (and so
 * empty), validated NOT NULL checks, column types. It spans migrations, so a
 * table created by migration 1 is still "new" for migration 2 of the same
 * deploy, and a check validated by migration 2 makes migration 3's SET NOT
 * NULL safe. Transaction state is reset at every transaction boundary.
 */
export class LintState {
  readonly defaultSchema: string;
  readonly newTables = new Set<string>();
  readonly notNullChecks = new Set<string>();
  /** `schema.table.constraint` → column, for `CHECK (col IS NOT NULL) NOT VALID` awaiting VALIDATE. */
  readonly pendingNotNullChecks = new Map<string, string>();
  readonly columnTypes = new Map<string, TypeInfo | string>();
  /** `schema.table.column` with a CHECK constraint mentioning it (re-checked on type change). */
  readonly checkedColumns = new Set<string>();
  /** `schema.table` → leading columns of its indexes (for the FK-index rule). */
  readonly indexLeads = new Map<string, string[][]>();
  readonly emptyTables = new Set<string>();
  /** `schema.table.constraint` → contype letter ('f', 'c', 'p', 'u', 'x'), from the catalog and this run. */
  readonly constraintTypes = new Map<string, string>();
  /**
   * The live catalog listed every index: a foreign key added to an existing
   * table can then be checked for a supporting index too, not only one on a
   * table created in this run.
   */
  readonly indexesKnown: boolean;
  /** `schema.index` → table and key columns: created in this run, or from the catalog (table unknown, ''). */
  readonly indexes = new Map<string, { table: string; columns: string[] }>();
  /** `schema.table.column` known NOT NULL (catalog attnotnull, or set in this run). */
  readonly notNullColumns = new Set<string>();
  /** `schema.table.column` known nullable: added in this run without NOT NULL, or missing from a listed catalog. */
  readonly #nullableColumns = new Set<string>();
  readonly #notNullListed: boolean;
  tx = new TxState();
  lockTimeoutSet = false;
  statementTimeoutSet = false;
  /** Migration being linted (for findings reported at the end). */
  currentMigration: string | undefined;
  /** Foreign keys added in this run, checked for a supporting index at the end. */
  readonly foreignKeys: Array<{
    table: string;
    columns: string[];
    line: number;
    statement: string;
    migration?: string;
    suppressed?: ReadonlySet<string>;
  }> = [];
  /** Suppressions of the statement being applied, kept with what it adds (for rules reported at the end). */
  #suppressed: ReadonlySet<string> | undefined;

  constructor(options: { defaultSchema: string; knownNewTables?: Iterable<string>; catalog?: LintCatalog }) {
    this.defaultSchema = options.defaultSchema;
    for (const t of options.knownNewTables ?? []) this.newTables.add(this.qualify(t));
    for (const c of options.catalog?.notNullChecks ?? []) this.notNullChecks.add(c);
    for (const [k, v] of Object.entries(options.catalog?.columnTypes ?? {})) this.columnTypes.set(k, v);
    for (const t of options.catalog?.emptyTables ?? []) this.emptyTables.add(this.qualify(t));
    for (const [t, leads] of Object.entries(options.catalog?.indexes ?? {})) this.indexLeads.set(t, [...leads]);
    this.indexesKnown = options.catalog?.indexes !== undefined;
    for (const c of options.catalog?.checkedColumns ?? []) this.checkedColumns.add(c);
    for (const [k, v] of Object.entries(options.catalog?.constraints ?? {})) this.constraintTypes.set(k, v);
    for (const [k, columns] of Object.entries(options.catalog?.indexColumns ?? {}))
      this.indexes.set(this.qualify(k), { table: '', columns });
    for (const c of options.catalog?.notNullColumns ?? []) this.notNullColumns.add(c);
    this.#notNullListed = options.catalog?.notNullColumns !== undefined;
  }

  /** true: NOT NULL; false: known nullable; undefined: unknown. A validated CHECK (col IS NOT NULL) counts (PG12+ skips the scan). */
  columnNotNull(key: string): boolean | undefined {
    if (this.notNullColumns.has(key) || this.notNullChecks.has(key)) return true;
    if (this.#nullableColumns.has(key)) return false;
    return this.#notNullListed ? false : undefined;
  }

  #noteColumn(table: string, colDef: Node): void {
    const key = `${table}.${colDef.colname}`;
    const notNull = constraintsOf(colDef).some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
    if (notNull) {
      this.notNullColumns.add(key);
      this.#nullableColumns.delete(key);
    } else {
      this.#nullableColumns.add(key);
      this.notNullColumns.delete(key);
    }
  }

  qualify(name: string): string {
    return name.includes('.') ? name : `${this.defaultSchema}.${name}`;
  }

  /** True for a table created in this run (or known to be empty): its locks block nobody. */
  isNew(table: string): boolean {
    return this.newTables.has(table) || this.emptyTables.has(table);
  }

  beginMigration(): void {
    this.tx = new TxState();
    this.lockTimeoutSet = false;
    this.statementTimeoutSet = false;
  }

  /** Records the effects of a statement after the rules have seen it. */
  apply(stmt: ParsedStatement, suppressed?: ReadonlySet<string>): void {
    this.#suppressed = suppressed;
    const { type, node } = stmt;
    const s = this.defaultSchema;
    if (type === 'VariableSetStmt' && node.name === 'lock_timeout') this.lockTimeoutSet = true;
    if (type === 'VariableSetStmt' && node.name === 'statement_timeout') this.statementTimeoutSet = !setsZero(node);
    if (type === 'CreateStmt' || type === 'CreateTableAsStmt') {
      const table = relName(type === 'CreateStmt' ? node.relation : node.into?.rel, s);
      this.newTables.add(table);
      for (const e of node.tableElts ?? []) {
        if (e.ColumnDef) {
          const col = e.ColumnDef.colname;
          const ti = typeInfo(e.ColumnDef.typeName);
          if (ti) this.columnTypes.set(`${table}.${col}`, ti);
          this.#noteColumn(table, e.ColumnDef);
          for (const c of constraintsOf(e.ColumnDef)) this.#noteConstraint(table, c, col, stmt);
        } else if (e.Constraint) this.#noteConstraint(table, e.Constraint, undefined, stmt);
      }
    }
    if (type === 'IndexStmt') {
      const table = relName(node.relation, s);
      const lead = (node.indexParams ?? []).map((p: { IndexElem?: { name?: string } }) => p.IndexElem?.name ?? '');
      this.indexLeads.set(table, [...(this.indexLeads.get(table) ?? []), lead]);
      // An index lives in its table's schema.
      if (node.idxname) this.indexes.set(`${table.split('.')[0]}.${node.idxname}`, { table, columns: lead });
    }
    if (type === 'AlterTableStmt') {
      const table = relName(node.relation, s);
      for (const cmd of alterCmds(node)) {
        if (cmd.subtype === 'AT_AddColumn' && cmd.def?.ColumnDef) {
          const ti = typeInfo(cmd.def.ColumnDef.typeName);
          if (ti) this.columnTypes.set(`${table}.${cmd.def.ColumnDef.colname}`, ti);
          this.#noteColumn(table, cmd.def.ColumnDef);
          for (const c of constraintsOf(cmd.def.ColumnDef))
            this.#noteConstraint(table, c, cmd.def.ColumnDef.colname, stmt);
        }
        if (cmd.subtype === 'AT_SetNotNull') this.notNullColumns.add(`${table}.${cmd.name}`);
        if (cmd.subtype === 'AT_DropNotNull') {
          this.notNullColumns.delete(`${table}.${cmd.name}`);
          this.#nullableColumns.add(`${table}.${cmd.name}`);
        }
        if (cmd.subtype === 'AT_AlterColumnType') {
          const ti = typeInfo(cmd.def?.ColumnDef?.typeName);
          if (ti) this.columnTypes.set(`${table}.${cmd.name}`, ti);
        }
        if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint) {
          this.#noteConstraint(table, cmd.def.Constraint, undefined, stmt);
          if (cmd.def.Constraint.skip_validation) this.tx.notValid.add(`${table}.${cmd.def.Constraint.conname ?? ''}`);
        }
        if (cmd.subtype === 'AT_ValidateConstraint') {
          const key = `${table}.${cmd.name}`;
          const col = this.pendingNotNullChecks.get(key);
          if (col) {
            this.notNullChecks.add(`${table}.${col}`);
            this.pendingNotNullChecks.delete(key);
          }
        }
        if (cmd.subtype === 'AT_DropConstraint') {
          // A dropped check no longer proves anything; forget checks we cannot tie to a name.
          const key = `${table}.${cmd.name}`;
          this.pendingNotNullChecks.delete(key);
          const col = this.#namedChecks.get(key);
          if (col) this.notNullChecks.delete(`${table}.${col}`);
        }
      }
    }
    if (type === 'DropStmt' && node.removeType === 'OBJECT_TABLE') {
      for (const o of node.objects ?? []) this.newTables.delete(listName(o.List?.items, s));
    }
    const lock = statementLock(type, node, s);
    if (lock) {
      for (const t of lock.tables) {
        if (!t || this.isNew(t)) continue;
        const mode = maxLock(this.tx.locks.get(t), lock.mode)!;
        this.tx.locks.set(t, mode);
        if (mode === 'AccessExclusiveLock') this.tx.accessExclusive.add(t);
        if (type !== 'UpdateStmt' && type !== 'DeleteStmt' && type !== 'InsertStmt') this.tx.ddlOnExisting = true;
      }
    }
  }

  readonly #namedChecks = new Map<string, string>();

  #noteIndexLike(table: string, c: Node, column: string | undefined, stmt: ParsedStatement | undefined): void {
    const keys: string[] = (c.keys ?? []).map((k: Node) => k.String?.sval).filter(Boolean);
    if (c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') {
      const lead = keys.length ? keys : column ? [column] : [];
      if (lead.length) this.indexLeads.set(table, [...(this.indexLeads.get(table) ?? []), lead]);
    }
    if (c.contype !== 'CONSTR_FOREIGN') return;
    const cols: string[] = (c.fk_attrs ?? []).map((k: Node) => k.String?.sval).filter(Boolean);
    const columns = cols.length ? cols : column ? [column] : [];
    // PostgreSQL's default name, so a later DROP CONSTRAINT of an unnamed foreign key is recognised.
    const name = c.conname ?? `${table.split('.').pop()}_${columns.join('_')}_fkey`.slice(0, 63);
    this.constraintTypes.set(`${table}.${name}`, 'f');
    // On an existing table the linter only knows every index when the catalog listed them.
    if (stmt && columns.length && (this.isNew(table) || this.indexesKnown)) {
      this.foreignKeys.push({
        table,
        columns,
        line: stmt.line,
        statement: stmt.text,
        ...(this.currentMigration ? { migration: this.currentMigration } : {}),
        ...(this.#suppressed?.size ? { suppressed: this.#suppressed } : {}),
      });
    }
  }

  #noteConstraint(table: string, c: Node, column?: string, stmt?: ParsedStatement): void {
    this.#noteIndexLike(table, c, column, stmt);
    if (c.contype !== 'CONSTR_CHECK') return;
    if (c.conname) this.constraintTypes.set(`${table}.${c.conname}`, 'c');
    const col = notNullCheckColumn(c.raw_expr);
    const mentioned = new Set<string>();
    if (column) mentioned.add(column);
    JSON.stringify(c.raw_expr ?? {}, (k, v) => {
      if (k === 'ColumnRef') for (const f of v.fields ?? []) if (f.String?.sval) mentioned.add(f.String.sval);
      return v;
    });
    for (const m of mentioned) this.checkedColumns.add(`${table}.${m}`);
    if (!col) return;
    if (c.conname) this.#namedChecks.set(`${table}.${c.conname}`, col);
    if (c.skip_validation) {
      if (c.conname) this.pendingNotNullChecks.set(`${table}.${c.conname}`, col);
    } else this.notNullChecks.add(`${table}.${col}`);
  }
}

/** `SET statement_timeout = 0` (or '0') turns the timeout off. */
function setsZero(node: Node): boolean {
  const a = node.args?.[0]?.A_Const;
  if (!a) return node.kind === 'VAR_SET_DEFAULT' || node.kind === 'VAR_RESET';
  if (a.ival !== undefined) return (a.ival.ival ?? 0) === 0;
  return /^\s*0+\s*(ms|s|min|h|d)?\s*$/i.test(String(a.sval?.sval ?? ''));
}

/** Per-transaction facts, for rules about what else runs while a strong lock is held. */
export class TxState {
  /** Existing tables locked so far in this transaction, with the strongest mode. */
  readonly locks = new Map<string, LockMode>();
  /** The tables of `locks` held in ACCESS EXCLUSIVE mode. */
  readonly accessExclusive = new Set<string>();
  /** `schema.table.constraint` added NOT VALID in this transaction. */
  readonly notValid = new Set<string>();
  ddlOnExisting = false;
  /** Existing tables on which a scanning ALTER already ran in this transaction. */
  readonly scanned = new Map<string, number>();
}
