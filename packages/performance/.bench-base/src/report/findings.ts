import type { AdvisorResult } from '../advisor/advisor.js';
import { readStatementShape, type StatementShape } from '../advisor/parse-statement.js';
import type { PlanNode, PlanSession } from '../advisor/plan-session.js';
import { findingsFor, type QueryFinding } from '../analysis/plan-findings.js';
import { type TableInfo, tableKey } from '../catalog/catalog.js';
import type { StatementStats } from '../monitor/statements.js';
import type { ReportContext } from './context.js';

/**
 * Functions EXPLAIN ANALYZE may run. A read-only transaction does not stop
 * functions with side effects (pg_stat_statements_reset, pg_terminate_backend,
 * advisory locks, pg_sleep), so anything not on this list is never executed.
 */
const SAFE_FUNCTIONS = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'bool_and',
  'bool_or',
  'array_agg',
  'string_agg',
  'json_agg',
  'jsonb_agg',
  'coalesce',
  'nullif',
  'greatest',
  'least',
  'lower',
  'upper',
  'length',
  'substring',
  'trim',
  'date_trunc',
  'date_part',
  'extract',
  'abs',
  'round',
  'floor',
  'ceil',
  'now',
  'current_date',
  'to_char',
]);

/** A parameterless SELECT over user tables only, calling only functions from SAFE_FUNCTIONS. */
function safeToExecute(shape: StatementShape, tables: Map<string, TableInfo>): boolean {
  if (shape.kind !== 'select' || shape.paramCount > 0 || shape.tables.length === 0) return false;
  if (!shape.functions.every((f) => SAFE_FUNCTIONS.has(f))) return false;
  return shape.tables.every((t) => tables.has(`${t.schema ?? 'public'}.${t.name}`));
}

/** Stage 5: plan findings for the costliest statements, from the advisor's plans (and EXPLAIN ANALYZE when allowed). */
export async function readFindingsSection(
  ctx: ReportContext,
  input: {
    byTotal: StatementStats[];
    shown: (s: StatementStats) => string;
    tables: TableInfo[];
    advisor: AdvisorResult | undefined;
    session: PlanSession | undefined;
  },
): Promise<QueryFinding[]> {
  const { opts } = ctx;
  const { session, advisor } = input;
  const queryFindings: QueryFinding[] = [];
  const tablesByKey = new Map(input.tables.map((t) => [tableKey(t.schema, t.name), t]));
  for (const s of input.byTotal.slice(0, opts.analysis.topStatements)) {
    const parsed = readStatementShape(s.query);
    const shape = parsed.ok ? parsed.shape : undefined;
    let analyzedPlan: PlanNode | undefined;
    if (opts.analysis.allowExplainAnalyze && session && shape && safeToExecute(shape, tablesByKey)) {
      const out = await session.explainAnalyzeReadOnly(s.query).catch(() => undefined);
      if (out?.ok) analyzedPlan = out.plan;
    }
    queryFindings.push(
      ...findingsFor(
        {
          queryHash: s.queryid,
          query: input.shown(s),
          shape,
          plan: advisor?.plans.get(s.queryid),
          tempBlksWritten: s.tempBlksWritten,
          calls: s.calls,
          ...(analyzedPlan ? { analyzedPlan } : {}),
        },
        tablesByKey,
        opts.analysis.largeTableRows,
      ),
    );
  }
  return queryFindings;
}
