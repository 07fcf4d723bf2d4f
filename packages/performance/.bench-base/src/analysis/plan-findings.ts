import type { NonSargable, StatementShape } from '../advisor/parse-statement.js';
import type { PlanNode } from '../advisor/plan-session.js';
import { findStaleStatistics } from '../advisor/stale-statistics.js';
import type { TableInfo } from '../catalog/catalog.js';

export type FindingKind =
  | 'seq_scan_large_table'
  | 'non_sargable_predicate'
  | 'temp_spill'
  | 'nested_loop_large_outer'
  | 'join_without_condition'
  | 'estimate_error';

export interface QueryFinding {
  kind: FindingKind;
  queryHash: string;
  /** Normalised statement text, shortened. */
  query: string;
  /** The plan node, e.g. `Seq Scan on public.bookings`; `statement` for findings from the text or statistics. */
  node: string;
  why: string;
  fix: string;
}

export interface FindingInput {
  queryHash: string;
  query: string;
  shape: StatementShape | undefined;
  plan: PlanNode | undefined;
  /** From pg_stat_statements: blocks written to temp files (sorts/hashes that spilled). */
  tempBlksWritten: number;
  calls: number;
  /** EXPLAIN ANALYZE plan, only when the configuration allows it. */
  analyzedPlan?: PlanNode;
}

/** With stale statistics the plan (and any index advice) is computed from numbers that no longer hold. */
function staleFix(info: TableInfo, rel: string | undefined): string | undefined {
  const stale = findStaleStatistics([info])[0];
  if (!stale) return undefined;
  return `Run ANALYZE ${rel ?? stale.table} first: ${stale.modifiedSinceAnalyze} of ~${stale.rows} rows changed since its last ANALYZE (${stale.lastAnalyzed ?? 'never'}), so this plan and the index advice rest on statistics that no longer describe the table.`;
}

const shortText = (q: string): string => (q.length > 200 ? `${q.slice(0, 197)}...` : q);

function walk(plan: PlanNode, visit: (n: PlanNode, parent: PlanNode | undefined) => void, parent?: PlanNode): void {
  visit(plan, parent);
  for (const c of plan.Plans ?? []) walk(c, visit, plan);
}

/** EXPLAIN without VERBOSE gives no schema: resolve the relation by name, `public` first. */
function relationOf(n: PlanNode, tables: Map<string, TableInfo>): TableInfo | undefined {
  const rel = n['Relation Name'];
  if (!rel) return undefined;
  if (n.Schema) return tables.get(`${n.Schema}.${rel}`);
  return tables.get(`public.${rel}`) ?? [...tables.values()].find((t) => t.name === rel);
}

const nodeName = (n: PlanNode, info?: TableInfo): string =>
  n['Relation Name'] ? `${n['Node Type']} on ${info ? `${info.schema}.` : ''}${n['Relation Name']}` : n['Node Type'];

function describeNonSargable(ns: NonSargable): { why: string; fix: string } {
  const cols = ns.columns.map((c) => (c.qualifier ? `${c.qualifier}.${c.column}` : c.column)).join(', ');
  switch (ns.kind) {
    case 'function_on_column':
      return {
        why: `${ns.detail ?? 'a function'}(${cols}) is compared, so a plain index on ${cols} cannot be used.`,
        fix: `Compare the bare column, or create an expression index on ${ns.detail ?? 'the function'}(${cols}).`,
      };
    case 'cast_on_column':
      return {
        why: `${cols} is cast before the comparison (often a type mismatch between the column and the parameter), which hides it from its index.`,
        fix: `Pass the parameter in the column's own type, or cast the other side instead of the column.`,
      };
    case 'leading_wildcard':
      return {
        why: `${ns.detail ?? 'LIKE'} on ${cols} starts with a wildcard; a B-tree can only match a fixed prefix.`,
        fix: 'Anchor the pattern, or add a trigram index (CREATE EXTENSION pg_trgm; CREATE INDEX … USING gin (col gin_trgm_ops)).',
      };
    case 'or_across_columns':
      return {
        why: `OR across different columns (${cols}) prevents a single index condition; the planner needs a BitmapOr of one index per column or scans.`,
        fix: 'Rewrite as UNION ALL of one branch per column, or make sure each column has its own index.',
      };
  }
}

/**
 * Findings for one statement from its generic plan, its parse tree and its
 * pg_stat_statements counters. Each names the statement, the plan node, why
 * it is slow and what to change.
 */
// Long: one short rule per plan-node pattern over the same node walk.
export function findingsFor(
  input: FindingInput,
  tables: Map<string, TableInfo>,
  largeTableRows: number,
): QueryFinding[] {
  const out: QueryFinding[] = [];
  const base = { queryHash: input.queryHash, query: shortText(input.query) };
  if (input.plan) {
    walk(input.plan, (n) => {
      const rel = n['Relation Name'];
      const info = relationOf(n, tables);
      if (n['Node Type'] === 'Seq Scan' && info && info.reltuples >= largeTableRows) {
        out.push({
          ...base,
          kind: 'seq_scan_large_table',
          node: nodeName(n, info),
          why: `Reads all ~${Math.round(info.reltuples)} rows of ${rel}${n.Filter ? ` to keep those matching ${n.Filter}` : ''}.`,
          fix:
            staleFix(info, rel) ??
            (n.Filter
              ? 'Add an index on the filtered columns (see indexRecommendations), or make the predicate sargable.'
              : 'Add a selective WHERE clause or LIMIT; an unfiltered scan of a large table is rarely needed per request.'),
        });
      }
      if (n['Node Type'] === 'Nested Loop') {
        const outer = n.Plans?.[0];
        const inner = n.Plans?.[1];
        if (outer && outer['Plan Rows'] >= largeTableRows) {
          out.push({
            ...base,
            kind: 'nested_loop_large_outer',
            node: nodeName(n),
            why: `The outer side (${nodeName(outer, relationOf(outer, tables))}) produces ~${Math.round(outer['Plan Rows'])} rows; the inner side runs once per row.`,
            fix: 'Index the inner join column so each loop is an index lookup, filter the outer side earlier, or check the statistics (ANALYZE) if a hash join was expected.',
          });
        }
        const innerHasCond = inner ? JSON.stringify(inner).match(/"(Index Cond|Filter|Recheck Cond)"/) : null;
        if (!n['Join Filter'] && inner && !innerHasCond && input.shape?.crossJoinScopes.length) {
          out.push({
            ...base,
            kind: 'join_without_condition',
            node: nodeName(n),
            why: 'The join has no join condition: every row of one side is paired with every row of the other (a Cartesian product).',
            fix: 'Add the missing ON / WHERE condition linking the tables.',
          });
        }
      }
    });
  }
  if (
    input.shape &&
    !input.plan?.Plans?.some((n) => n['Node Type'] === 'Nested Loop') &&
    input.shape.crossJoinScopes.length > 0
  ) {
    if (!out.some((f) => f.kind === 'join_without_condition')) {
      out.push({
        ...base,
        kind: 'join_without_condition',
        node: 'statement',
        why: 'Several tables are listed in FROM with no condition linking them: a Cartesian product.',
        fix: 'Add the missing join condition.',
      });
    }
  }
  for (const ns of input.shape?.nonSargable ?? []) {
    const { why, fix } = describeNonSargable(ns);
    out.push({ ...base, kind: 'non_sargable_predicate', node: 'WHERE clause', why, fix });
  }
  if (input.tempBlksWritten > 0) {
    const perCall = input.tempBlksWritten / Math.max(1, input.calls);
    let node = 'Sort or Hash';
    if (input.plan)
      walk(input.plan, (n) => {
        if (/^(Sort|Hash|HashAggregate|Incremental Sort)$/.test(n['Node Type']) && node === 'Sort or Hash')
          node = n['Node Type'];
      });
    out.push({
      ...base,
      kind: 'temp_spill',
      node,
      why: `Writes ~${Math.round(perCall)} temp blocks (${Math.round((perCall * 8) / 1024)} MiB) per call: a sort or hash does not fit in work_mem and spills to disk.`,
      fix: 'Raise work_mem for this workload (SET LOCAL work_mem), reduce the rows sorted (filter first), or serve the ORDER BY from an index.',
    });
  }
  if (input.analyzedPlan) {
    walk(input.analyzedPlan, (n) => {
      const actual = (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1);
      const planned = n['Plan Rows'] * (n['Actual Loops'] ?? 1);
      const ratio = Math.max(actual, 1) / Math.max(planned, 1);
      if ((ratio >= 10 || ratio <= 0.1) && Math.max(actual, planned) >= 1000) {
        const rel = n['Relation Name'];
        const info = relationOf(n, tables);
        out.push({
          ...base,
          kind: 'estimate_error',
          node: nodeName(n, info),
          why: `Planned ${Math.round(planned)} rows, got ${Math.round(actual)}: the plan was chosen for the wrong row count (stale or too coarse statistics).`,
          fix: rel
            ? `ANALYZE ${info ? `"${info.schema}".` : ''}"${rel}"; raise the column's statistics target if it recurs.`
            : 'ANALYZE the tables involved.',
        });
      }
    });
  }
  return out;
}
