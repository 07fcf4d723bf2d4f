import { quoteIdent } from '@voicehive/db-core';
import type { IndexInfo, TableInfo } from '../catalog/catalog.js';
import { tableKey } from '../catalog/catalog.js';
import { buildCandidates, type CandidateIndex, candidateKey, coveringIndex } from './candidates.js';
import { resolveUsage, type TableUsage } from './resolve.js';
import type { Prepared, Workload } from './workload.js';

export interface CandidateEntry {
  candidate: CandidateIndex;
  statements: Set<string>;
  table: TableInfo;
}

/** Single-column indexes that only pay together: one per column of `a = $1 OR b = $2` (a BitmapOr). */
export interface CandidateBundle {
  key: string;
  table: TableInfo;
  members: CandidateIndex[];
  statements: Set<string>;
}

/** A GIN candidate: hypopg cannot create hypothetical GIN indexes, so it is proposed unvalidated. */
export interface GinCandidate {
  candidate: CandidateIndex;
  table: TableInfo;
  operators: string[];
  statements: Set<string>;
}

export interface Collected {
  candidates: Map<string, CandidateEntry>;
  gin: GinCandidate[];
  /** Candidates PostgreSQL would refuse to create, with the reason. */
  refused: { index: string; reason: string }[];
  bundles: CandidateBundle[];
  smallTables: string[];
  covered: string[];
}

/**
 * Stage 2: candidate indexes from every statement's use of every table, minus tiny tables and what existing
 * indexes already serve; a range/equality candidate folds into its sort-ordered twin; OR across columns of
 * one table gives a bundle of single-column indexes.
 */
// Long: one pass over the workload's column uses; the folding rules share the candidate map.
export function collectCandidates(input: {
  workload: Workload;
  indexes: IndexInfo[];
  minTableRows: number;
  maxColumns: number;
}): Collected {
  const { workload, indexes } = input;
  const candidates = new Map<string, CandidateEntry>();
  const small = new Set<string>();
  const covered: string[] = [];
  const refused: { index: string; reason: string }[] = [];
  const rangeColumns = new Map<number, Set<string>>();
  for (const p of workload.prepared) {
    for (const u of p.usages) {
      const set = rangeColumns.get(u.table.oid) ?? new Set<string>();
      for (const c of [...u.range, ...u.sort.map((x) => x.column)]) set.add(c);
      rangeColumns.set(u.table.oid, set);
    }
  }
  // INCLUDE candidates only for statements with at least 1% of the workload's execution time: an index-only scan
  // is worth a wider index for a frequent query, and each candidate costs what-if calls (on 1,000 statements
  // spread evenly over 1,000 tables they added ~50% more calls).
  const totalMs = workload.prepared.reduce((s, p) => s + p.stat.totalExecMs, 0);
  const frequent = (p: Prepared) => totalMs > 0 && p.stat.totalExecMs >= 0.01 * totalMs;
  for (const p of workload.prepared) {
    for (const u of p.usages) {
      if (u.table.reltuples < input.minTableRows) {
        small.add(tableKey(u.table.schema, u.table.name));
        continue;
      }
      // Equality on every column of a unique index: at most one row, which that index already finds; a wider
      // index led by those columns (say (id, total_amount) for `WHERE id = $1 GROUP BY id, total_amount`) adds
      // nothing to the lookup. Found in the demo's advice on the hotel workload.
      const unique = uniqueIndexServing(u, indexes);
      if (unique) {
        const cols = (unique.columns as string[]).map((name) => ({ name, desc: false }));
        const key = candidateKey(u.table.schema, u.table.name, cols);
        if (!covered.includes(key)) covered.push(key);
        continue;
      }
      const rangeElsewhere = rangeColumns.get(u.table.oid) ?? new Set<string>();
      const needsPatternOps = (c: string) => workload.patternOps.has(`${u.table.oid}.${c}`);
      for (const c of buildCandidates(u, workload.statsFor(u.table), {
        maxColumns: input.maxColumns,
        rangeElsewhere,
        needsPatternOps,
      })) {
        if (coveringIndex(c, indexes)) {
          if (!covered.includes(c.key)) covered.push(c.key);
          continue;
        }
        const entry = candidates.get(c.key) ?? { candidate: c, statements: new Set<string>(), table: u.table };
        entry.statements.add(p.stat.queryid);
        candidates.set(c.key, entry);
      }
      for (const c of [
        ...partialCandidates(p, u),
        ...expressionCandidates(u, workload.immutableFunctions, refused),
        ...(frequent(p) ? coveringCandidates(u, input.maxColumns) : []),
      ]) {
        const entry = candidates.get(c.key) ?? { candidate: c, statements: new Set<string>(), table: u.table };
        entry.statements.add(p.stat.queryid);
        candidates.set(c.key, entry);
      }
    }
  }
  // Direction only matters for ORDER BY: fold a range/equality candidate into the
  // same columns ordered for a sort, so one index serves both statements.
  for (const [key, entry] of candidates) {
    const c = entry.candidate;
    if (c.servesSort || c.include || c.where || c.columns.some((x) => x.fn || x.opclass)) continue;
    const names = entry.candidate.columns.map((c) => c.name).join(',');
    const twin = [...candidates.values()].find(
      (o) =>
        o.candidate.servesSort &&
        !o.candidate.columns.some((x) => x.fn || x.opclass) &&
        o.candidate.tableOid === entry.candidate.tableOid &&
        o.candidate.columns.map((c) => c.name).join(',') === names,
    );
    if (twin) {
      for (const id of entry.statements) twin.statements.add(id);
      candidates.delete(key);
    }
  }
  return {
    candidates,
    gin: collectGin(workload, indexes, input.minTableRows),
    refused,
    bundles: collectOrBundles(workload, indexes, input.minTableRows),
    smallTables: [...small].sort(),
    covered,
  };
}

function uniqueIndexServing(u: TableUsage, indexes: IndexInfo[]): IndexInfo | undefined {
  return indexes.find(
    (i) =>
      i.tableOid === u.table.oid &&
      i.unique &&
      i.valid &&
      !i.partial &&
      i.am === 'btree' &&
      i.columns.length > 0 &&
      i.columns.every((c) => c !== null && u.eq.includes(c)),
  );
}

/**
 * A partial index for an equality whose sampled values are almost always one value (`status = 'pending'`): it
 * holds only those rows, so it is smaller and cheaper to keep up than a full index led by the column. The
 * planner only uses it for a statement whose value implies the predicate, which the custom plans with the
 * sampled values show.
 */
function partialCandidates(p: Prepared, u: TableUsage): CandidateIndex[] {
  const out: CandidateIndex[] = [];
  for (const a of p.assumed ?? []) {
    // A withheld value (not a common one: an e-mail, an id) never goes into an index definition a report shows.
    if (a.operator !== '=' || a.share < 0.9 || a.samples < 3 || a.withheld || !u.eq.includes(a.column)) continue;
    const rest = [...u.range, ...u.eq.filter((c) => c !== a.column)];
    const cols = (rest.length > 0 ? rest.slice(0, 2) : [a.column]).map((name) => ({ name, desc: false }));
    const where = `${quoteIdent(a.column)} = ${a.value}`;
    out.push({
      key: `${candidateKey(u.table.schema, u.table.name, cols)} WHERE ${where}`,
      tableOid: u.table.oid,
      schema: u.table.schema,
      table: u.table.name,
      columns: cols,
      eqCount: 0,
      servesSort: false,
      where,
    });
  }
  return out;
}

/** `lower(email) = $1`: an index on the expression (PostgreSQL docs, "Indexes on Expressions"). */
function expressionCandidates(
  u: TableUsage,
  immutable: Set<string>,
  refused: { index: string; reason: string }[],
): CandidateIndex[] {
  const out: CandidateIndex[] = [];
  for (const { column, fn } of u.expr ?? []) {
    const cols = [{ name: column, desc: false, fn }];
    const key = candidateKey(u.table.schema, u.table.name, cols);
    if (!immutable.has(fn)) {
      if (!refused.some((r) => r.index === key))
        refused.push({
          index: key,
          reason: `function ${fn} is not IMMUTABLE: PostgreSQL refuses it in an index expression`,
        });
      continue;
    }
    out.push({
      key,
      tableOid: u.table.oid,
      schema: u.table.schema,
      table: u.table.name,
      columns: cols,
      eqCount: 1,
      servesSort: false,
    });
  }
  return out;
}

/**
 * The statement's key columns (equality, then one range) with every other column the query level mentions on
 * this table as INCLUDE columns: with all of them in the index the planner can answer from the index alone
 * (an index-only scan, when the table's pages are marked all-visible). Only for a few extra columns, and never
 * for `SELECT *`.
 */
function coveringCandidates(u: TableUsage, maxColumns: number): CandidateIndex[] {
  if (u.star || !u.refs) return [];
  const key = [...u.eq, ...u.range.slice(0, 1)].slice(0, maxColumns);
  if (key.length === 0) return [];
  const include = u.refs.filter((c) => !key.includes(c));
  if (include.length === 0 || include.length > 3) return [];
  const cols = key.map((name) => ({ name, desc: false }));
  return [
    {
      key: candidateKey(u.table.schema, u.table.name, cols, { include }),
      tableOid: u.table.oid,
      schema: u.table.schema,
      table: u.table.name,
      columns: cols,
      eqCount: u.eq.length,
      servesSort: false,
      include,
    },
  ];
}

/**
 * Columns compared with `@>`, `?`, `&&`, `@@` …: a GIN index serves them. jsonb compared only with `@>`, `@?`
 * or `@@` gets `jsonb_path_ops` (smaller and faster for those; PostgreSQL docs, "jsonb Indexing"); other jsonb
 * operators, arrays and tsvector get the default operator class. Other types are left alone.
 */
function collectGin(workload: Workload, indexes: IndexInfo[], minTableRows: number): GinCandidate[] {
  const out = new Map<string, GinCandidate>();
  for (const p of workload.prepared) {
    for (const u of p.usages) {
      if (u.table.reltuples < minTableRows) continue;
      for (const g of u.gin ?? []) {
        const type = workload.resolveCtx.columns.get(u.table.oid)?.get(g.column) ?? '';
        if (type !== 'jsonb' && type !== 'tsvector' && !type.endsWith('[]')) continue;
        if (indexes.some((i) => i.tableOid === u.table.oid && i.am === 'gin' && i.columns[0] === g.column)) continue;
        const id = `${u.table.oid}.${g.column}`;
        const entry = out.get(id) ?? {
          candidate: ginCandidate(u.table, g.column, []),
          table: u.table,
          operators: [],
          statements: new Set<string>(),
        };
        for (const op of g.operators) if (!entry.operators.includes(op)) entry.operators.push(op);
        entry.statements.add(p.stat.queryid);
        out.set(id, entry);
      }
    }
  }
  for (const e of out.values()) {
    const type = workload.resolveCtx.columns.get(e.table.oid)?.get(e.candidate.columns[0]!.name);
    const pathOps = type === 'jsonb' && e.operators.every((op) => op === '@>' || op === '@?' || op === '@@');
    e.candidate = ginCandidate(e.table, e.candidate.columns[0]!.name, pathOps ? ['jsonb_path_ops'] : []);
  }
  return [...out.values()];
}

function ginCandidate(table: TableInfo, column: string, opclass: string[]): CandidateIndex {
  const cols = [{ name: column, desc: false, ...(opclass[0] ? { opclass: opclass[0] } : {}) }];
  return {
    key: candidateKey(table.schema, table.name, cols, { method: 'gin' }),
    tableOid: table.oid,
    schema: table.schema,
    table: table.name,
    columns: cols,
    eqCount: 0,
    servesSort: false,
    method: 'gin',
  };
}

function collectOrBundles(workload: Workload, indexes: IndexInfo[], minTableRows: number): CandidateBundle[] {
  const bundles = new Map<string, CandidateBundle>();
  for (const p of workload.prepared) {
    for (const ns of p.shape.nonSargable) {
      if (ns.kind !== 'or_across_columns') continue;
      // Resolve the OR's columns as if they were equality uses of the same query level.
      const usages = resolveUsage(
        { ...p.shape, uses: ns.columns.map((c) => ({ scope: ns.scope, ...c, kind: 'eq' as const })) },
        workload.resolveCtx,
      );
      if (usages.length !== 1 || usages[0]!.eq.length < 2) continue;
      const u = usages[0]!;
      if (u.table.reltuples < minTableRows) continue;
      const members: CandidateIndex[] = [];
      for (const column of u.eq) {
        const cols = [{ name: column, desc: false }];
        const c: CandidateIndex = {
          key: candidateKey(u.table.schema, u.table.name, cols),
          tableOid: u.table.oid,
          schema: u.table.schema,
          table: u.table.name,
          columns: cols,
          eqCount: 1,
          servesSort: false,
        };
        if (!coveringIndex(c, indexes)) members.push(c);
      }
      if (members.length === 0) continue;
      const key = members.map((m) => m.key).join(' + ');
      const b = bundles.get(key) ?? { key, table: u.table, members, statements: new Set<string>() };
      b.statements.add(p.stat.queryid);
      bundles.set(key, b);
    }
  }
  return [...bundles.values()];
}
