import { type QueryOptions, throwIfAborted } from '@voicehive/db-core';
import {
  type ColumnStats,
  loadColumnStats,
  loadColumns,
  loadPatternOpsColumns,
  type SqlRunner,
  type TableInfo,
  tableKey,
} from '../catalog/catalog.js';
import type { StatementStats } from '../monitor/statements.js';
import { readStatementShape, type StatementShape } from './parse-statement.js';
import type { QualPredicate } from './qualstats.js';
import { buildResolveContext, type ResolveContext, resolveUsage, type TableUsage } from './resolve.js';
import { type AssumedValue, representativeValues, type SampledConstant } from './sampled-values.js';

export interface Prepared {
  stat: StatementStats;
  shape: StatementShape;
  usages: TableUsage[];
  /** Literals for a custom plan, one per parameter, from pg_qualstats' samples; absent: the generic plan. */
  values?: (string | null)[];
  /** What those values are, for the evidence. */
  assumed?: AssumedValue[];
}

export interface Workload {
  prepared: Prepared[];
  unparseable: number;
  notApplicable: number;
  /** Tables the workload's statements name, by oid. */
  referenced: Map<number, TableInfo>;
  resolveCtx: ResolveContext;
  statsFor: (t: TableInfo) => (col: string) => ColumnStats | undefined;
  /** `oid.column` keys where `LIKE 'abc%'` needs text_pattern_ops. */
  patternOps: Set<string>;
  qualstats: { predicates: number; statements: number; columnsAdded: number } | null;
  /** Functions of one argument compared in the workload (`lower(email) = $1`) whose every such overload is IMMUTABLE. */
  immutableFunctions: Set<string>;
}

/**
 * Stage 1 of the advisor: the statements worth planning (by total time, over `minCalls`), parsed, with every
 * column use resolved to its table, plus the catalog facts candidates need (columns, pg_stats, collations).
 */
// Long: statements, their parse and the catalog facts are read in one pass so the catalog is scanned once.
export async function readWorkload(input: {
  db: SqlRunner;
  statements: StatementStats[];
  tables: TableInfo[];
  qualstats: QualPredicate[] | undefined;
  /** Constants pg_qualstats sampled: statements are planned with the values actually sent. */
  sampled?: SampledConstant[];
  minCalls: number;
  maxStatements: number;
  signal?: AbortSignal;
}): Promise<Workload> {
  const { signal } = input;
  const chosen = input.statements
    .filter((s) => s.calls >= input.minCalls)
    .sort((a, b) => b.totalExecMs - a.totalExecMs)
    .slice(0, input.maxStatements);
  let unparseable = 0;
  let notApplicable = 0;
  const parsed: { stat: StatementStats; shape: StatementShape }[] = [];
  for (const stat of chosen) {
    const out = readStatementShape(stat.query);
    if (!out.ok) {
      unparseable++;
      continue;
    }
    if (!['select', 'update', 'delete', 'insert'].includes(out.shape.kind) || out.shape.tables.length === 0) {
      notApplicable++;
      continue;
    }
    parsed.push({ stat, shape: out.shape });
  }

  const tablesByKey = new Map(input.tables.map((t) => [tableKey(t.schema, t.name), t]));
  const tablesByOid = new Map(input.tables.map((t) => [t.oid, t]));
  const quals = new Map<string, QualPredicate[]>();
  for (const q of input.qualstats ?? []) (quals.get(q.queryid) ?? quals.set(q.queryid, []).get(q.queryid)!).push(q);
  const referenced = new Map<number, TableInfo>();
  const byName = buildResolveContext(input.tables, new Map()).tablesByName;
  for (const p of parsed) {
    for (const ref of p.shape.tables) {
      const t = ref.schema ? tablesByKey.get(tableKey(ref.schema, ref.name)) : byName.get(ref.name);
      if (t) referenced.set(t.oid, t);
    }
    // pg_qualstats names the base tables, also those behind a view the statement reads.
    for (const q of quals.get(p.stat.queryid) ?? []) {
      const t = tablesByOid.get(q.tableOid);
      if (t) referenced.set(t.oid, t);
    }
  }
  throwIfAborted(signal, 'index advice');
  const oids = [...referenced.keys()];
  // Both reads are issued together (a report's runner sends them one after the other on one connection; a
  // caller's pool may run them side by side). Both are awaited before an abort is rethrown, so neither read is
  // left running unobserved.
  const [columnsRead, statsRead] = await Promise.allSettled([
    loadColumns(input.db, oids, signal ? { signal } : {}),
    loadColumnStats(input.db, [...referenced.values()], signal ? { signal } : {}),
  ]);
  if (columnsRead.status === 'rejected') throw columnsRead.reason;
  if (statsRead.status === 'rejected') throw statsRead.reason;
  const columns = columnsRead.value;
  const stats = statsRead.value;
  const statsFor =
    (t: TableInfo) =>
    (col: string): ColumnStats | undefined =>
      stats.get(`${tableKey(t.schema, t.name)}.${col}`);
  const resolveCtx = buildResolveContext([...referenced.values()], columns);

  const prepared: Prepared[] = [];
  const qualstats = input.qualstats ? { predicates: input.qualstats.length, statements: 0, columnsAdded: 0 } : null;
  const sampled = new Map<string, SampledConstant[]>();
  for (const c of input.sampled ?? []) (sampled.get(c.queryid) ?? sampled.set(c.queryid, []).get(c.queryid)!).push(c);
  for (const p of parsed) {
    const usages = resolveUsage(p.shape, resolveCtx);
    // The tables the statement names. pg_qualstats adds the ones the executor scanned (a partitioned table's
    // partitions, the tables behind a view), but a parameter's value belongs to the table the text compares it on.
    const named = new Set(usages.map((u) => u.table.oid));
    const seen = quals.get(p.stat.queryid);
    if (seen && qualstats) {
      qualstats.statements++;
      qualstats.columnsAdded += mergeQualstats(usages, seen, tablesByOid);
    }
    if (usages.length === 0 && p.shape.tables.every((t) => !resolveCtx.tablesByName.has(t.name))) {
      notApplicable++;
      continue;
    }
    const rep = representativeValues({
      shape: p.shape,
      queryid: p.stat.queryid,
      sampled,
      rowsPerCall: p.stat.calls > 0 ? p.stat.rows / p.stat.calls : Number.NaN,
      mcvFor: (column) => {
        const compared = usages.filter((u) => u.eq.includes(column));
        // Through a view the statement names no table with the column: then the base tables pg_qualstats saw.
        const onNamed = compared.filter((u) => named.has(u.table.oid));
        const on = onNamed.length > 0 ? onNamed : compared;
        if (on.length !== 1) return undefined;
        const table = on[0]!.table;
        const mcv = statsFor(table)(column)?.mcv;
        const type = columns.get(table.oid)?.get(column);
        return mcv && type ? { mcv, reltuples: table.reltuples, type } : undefined;
      },
    });
    prepared.push({ ...p, usages, ...(rep ? { values: rep.values, assumed: rep.assumed } : {}) });
  }
  const withPrefix = [...new Set(prepared.flatMap((p) => p.usages.filter((u) => u.prefix.length > 0)))];
  const patternOps =
    withPrefix.length > 0
      ? await loadPatternOpsColumns(
          input.db,
          [...new Set(withPrefix.map((u) => u.table.oid))],
          signal ? { signal } : {},
        )
      : new Set<string>();
  const fns = [...new Set(prepared.flatMap((p) => p.usages.flatMap((u) => (u.expr ?? []).map((e) => e.fn))))];
  const immutableFunctions = await loadImmutableFunctions(input.db, fns, signal ? { signal } : {});
  return {
    prepared,
    unparseable,
    notApplicable,
    referenced,
    resolveCtx,
    statsFor,
    patternOps,
    qualstats,
    immutableFunctions,
  };
}

/**
 * An index expression may only call IMMUTABLE functions (PostgreSQL refuses the CREATE INDEX otherwise; hypopg
 * does not check). A name counts when every one-argument function of that name is IMMUTABLE.
 */
async function loadImmutableFunctions(db: SqlRunner, names: string[], options: QueryOptions): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const { rows } = await db.query<{ proname: string }>(
    `SELECT proname FROM pg_proc WHERE proname = ANY($1::text[]) AND pronargs = 1
      GROUP BY proname HAVING bool_and(provolatile = 'i')`,
    [names],
    options,
  );
  return new Set(rows.map((r) => r.proname));
}

/**
 * Adds the predicates pg_qualstats saw for a statement to its table usages:
 * columns compared through a view, or inside anything the parser cannot
 * resolve, become candidate columns too. Returns how many uses it added.
 */
function mergeQualstats(
  usages: TableUsage[],
  predicates: QualPredicate[],
  tablesByOid: Map<number, TableInfo>,
): number {
  let added = 0;
  for (const q of predicates) {
    const table = tablesByOid.get(q.tableOid);
    if (!table) continue;
    let usage = usages.find((u) => u.table.oid === q.tableOid);
    if (!usage) {
      usage = { table, eq: [], range: [], prefix: [], join: [], sort: [], group: [] };
      usages.push(usage);
    }
    const known = [...usage.eq, ...usage.range, ...usage.prefix, ...usage.join].includes(q.column);
    if (known) continue;
    usage[q.kind].push(q.column);
    added++;
  }
  return added;
}
