import { type Logger, quoteIdent } from '@voicehive/db-core';
import { type IndexInfo, type SqlRunner, type TableInfo, tableKey } from '../catalog/catalog.js';
import type { StatementStats } from '../monitor/statements.js';
import type { ResolvedOptions } from '../options.js';
import { loadParser } from '../sql/parser.js';
import { type CandidateIndex, columnLabel, createIndexSql, extendsExisting } from './candidates.js';
import { type Collected, collectCandidates } from './collect.js';
import { type ConfigCandidate, selectUnderConfiguration } from './configuration.js';
import { analyseDrops } from './drop-analysis.js';
import { ginRecommendations } from './gin-recommendations.js';
import { heuristicRecommendations } from './heuristic-recommendations.js';
import { indexNamesInPlan, type PlanSession } from './plan-session.js';
import type { QualPredicate } from './qualstats.js';
import { buildRecommendations } from './recommend.js';
import { lookupTable } from './resolve.js';
import type { AdvisorResult } from './result.js';
import type { SampledConstant } from './sampled-values.js';
import { shortStatementText } from './short-text.js';
import { findStaleStatistics } from './stale-statistics.js';
import { explainMany, toWhatIf, whatIf } from './what-if-batch.js';
import { type Prepared, readWorkload, type Workload } from './workload.js';
import { indexWriteRows, type TableWrite } from './write-cost.js';

export type {
  AdvisorResult,
  AdvisorSkipped,
  AffectedQuery,
  IndexRecommendation,
  QualstatsContribution,
} from './result.js';

export interface AdvisorContext {
  db: SqlRunner;
  options: ResolvedOptions;
  logger: Logger;
  tables: TableInfo[];
  indexes: IndexInfo[];
  /** An open planning session, or undefined when the role cannot EXPLAIN. */
  session: PlanSession | undefined;
  /** Existing indexes to what-if drop (unused and redundant ones). */
  dropCandidates: IndexInfo[];
  /** Run-time predicates from pg_qualstats, when it is installed and enabled. */
  qualstats?: QualPredicate[];
  /** Constants pg_qualstats sampled, to plan statements with the values the application sends. */
  sampledConstants?: SampledConstant[];
  signal?: AbortSignal;
  /** Where to record each stage's milliseconds (`advisor.workload`, `advisor.baseline`, …), for finding what is slow. */
  timings?: Record<string, number>;
}

/** hypopg takes the definition without CONCURRENTLY and without the trailing semicolon. */
const hypoDefinition = (c: CandidateIndex): string =>
  createIndexSql(c, quoteIdent).replace(' CONCURRENTLY', '').replace(/;$/, '');

/**
 * The workload-level advisor: parse → candidates → what-if cost of each candidate alone with hypopg →
 * greedy selection that re-plans under the whole chosen configuration → validation of the chosen set
 * together. Falls back to a statistics heuristic without hypopg, and plans nothing (but still reports)
 * when EXPLAIN is not allowed.
 */
// Long: the advisor's stages in order (workload, candidates, configuration, recommendations, drops), each a call; the function carries the shared result between them.
export async function runAdvisor(statements: StatementStats[], ctx: AdvisorContext): Promise<AdvisorResult> {
  const started = performance.now();
  let mark = started;
  const stage = (name: string): void => {
    const now = performance.now();
    if (ctx.timings) ctx.timings[`advisor.${name}`] = Math.round((now - mark) * 10) / 10;
    mark = now;
  };
  const opts = ctx.options.advisor;
  await loadParser();
  const workload = await readWorkload({
    db: ctx.db,
    statements,
    tables: ctx.tables,
    qualstats: ctx.qualstats,
    ...(ctx.sampledConstants ? { sampled: ctx.sampledConstants } : {}),
    minCalls: opts.minCalls,
    maxStatements: opts.maxStatements,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const collected = collectCandidates({
    workload,
    // Only the workload's tables: the candidate checks scan this list once per table use.
    indexes: ctx.indexes.filter((i) => workload.referenced.has(i.tableOid)),
    minTableRows: opts.minTableRows,
    maxColumns: opts.maxColumns,
  });
  stage('workload');
  const result: AdvisorResult = {
    mode: ctx.session?.hasHypopg ? 'hypopg' : 'heuristic',
    recommendations: [],
    workload: {
      statements: workload.prepared.length,
      weightedBaselineCost: null,
      weightedCostWithRecommendations: null,
    },
    skipped: {
      unparseable: workload.unparseable,
      notApplicable: workload.notApplicable,
      explainFailed: [],
      smallTables: collected.smallTables,
      coveredCandidates: collected.covered,
      belowMinCostReduction: [],
      ...(collected.refused.length > 0 ? { refusedCandidates: [...collected.refused] } : {}),
    },
    staleStatistics: findStaleStatistics(
      [...workload.referenced.values()].filter(
        (t) => t.reltuples >= opts.minTableRows || t.nLiveTup >= opts.minTableRows,
      ),
    ),
    plans: new Map(),
    drops: null,
    qualstats: workload.qualstats,
    whatIfCalls: 0,
    durationMs: 0,
  };
  const heuristic = () => {
    result.mode = 'heuristic';
    heuristicRecommendations({
      result,
      prepared: workload.prepared,
      candidates: collected.candidates,
      statsFor: workload.statsFor,
      maxIndexes: opts.maxIndexes,
      quals: ctx.qualstats ?? [],
      indexes: ctx.indexes,
    });
    result.durationMs = performance.now() - started;
    return result;
  };
  const session = ctx.session;
  if (!session) return heuristic();

  const base = await planBaseline(session, workload.prepared, result, ctx.signal);
  const byId = new Map(workload.prepared.map((p) => [p.stat.queryid, p]));
  const weight = (id: string) => byId.get(id)!.stat.calls;
  result.workload.weightedBaselineCost = [...base].reduce((s, [id, c]) => s + c * weight(id), 0);
  stage('baseline');
  // Before any hypothetical index exists, against the baseline plans.
  if (opts.dropAnalysis && session.hideMethod) {
    result.drops = await analyseDrops({
      session,
      statements: [...base].map(([id, cost]) => {
        const p = byId.get(id)!;
        return {
          id,
          text: p.stat.query,
          shown: shortStatementText(p.stat.query),
          paramCount: p.shape.paramCount,
          calls: p.stat.calls,
          tableOids: new Set(p.usages.map((u) => u.table.oid)),
          baseCost: cost,
          basePlan: result.plans.get(id)!,
        };
      }),
      suspects: ctx.dropCandidates,
      indexes: ctx.indexes,
      scope: opts.dropAnalysisScope,
      minStatementImprovement: opts.minStatementImprovement,
      minStatementCost: opts.minStatementCost,
      logger: ctx.logger,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    result.whatIfCalls += result.drops.explains;
    stage('drops');
  }
  if (!session.hasHypopg) return heuristic();

  const choices = await costAlone({ session, workload, collected, base, ctx, result });
  stage('alone');
  const outcome = await selectUnderConfiguration({
    session,
    statements: [...base].map(([id, baseCost]) => {
      const p = byId.get(id)!;
      return {
        id,
        weight: weight(id),
        baseCost,
        text: p.stat.query,
        paramCount: p.shape.paramCount,
        ...(p.values ? { values: p.values } : {}),
        tables: new Set(p.usages.map((u) => u.table.oid)),
      };
    }),
    candidates: choices.map((c) => c.choice),
    budget: {
      maxIndexes: opts.maxIndexes,
      maxTotalBytes: opts.maxTotalBytes,
      minStatementImprovement: opts.minStatementImprovement,
      minSavingPerCall: opts.minStatementCost,
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  result.whatIfCalls += outcome.whatIfCalls;
  stage('select');
  const ginBudget = Math.max(0, opts.maxIndexes - outcome.selection.length);
  const picked = outcome.selection.map((s) => choices.find((c) => c.choice.key === s.key)!);
  await buildRecommendations({
    session,
    db: ctx.db,
    picked: picked.map((p) => ({ members: p.members, writeRows: p.writeRows, sizeBytes: p.choice.sizeBytes })),
    base,
    byId,
    result,
    tablesByOid: new Map(ctx.tables.map((t) => [t.oid, t])),
    minCostReduction: opts.minCostReduction,
    writeCostPerRow: opts.writeCostPerRow,
    qualstats: ctx.qualstats ?? [],
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  stage('recommend');
  ginRecommendations({
    gin: collected.gin,
    base,
    byId,
    result,
    budget: ginBudget,
    minStatementCost: opts.minStatementCost,
  });
  result.durationMs = performance.now() - started;
  ctx.logger.info(
    {
      event: 'index_advice_done',
      mode: result.mode,
      recommendations: result.recommendations.length,
      whatIfCalls: result.whatIfCalls,
      durationMs: Math.round(result.durationMs),
    },
    'index advice computed',
  );
  return result;
}

/** Stage 3: the baseline plan and cost of every statement (also what the plan analysis reads). */
async function planBaseline(
  session: PlanSession,
  prepared: Prepared[],
  result: AdvisorResult,
  signal: AbortSignal | undefined,
): Promise<Map<string, number>> {
  const base = new Map<string, number>();
  if (session.hasHypopg) await session.resetHypothetical();
  // INSERT … VALUES reads nothing an index could serve; it only counts as writes.
  const planned = prepared.filter((p) => !(p.shape.kind === 'insert' && p.usages.length === 0));
  const outcomes = await explainMany(session, planned.map(toWhatIf), signal);
  result.whatIfCalls += planned.length;
  planned.forEach((p, i) => {
    const out = outcomes[i]!;
    if (!out.ok) {
      result.skipped.explainFailed.push({ queryHash: p.stat.queryid, error: out.error });
      return;
    }
    result.plans.set(p.stat.queryid, out.plan);
    base.set(p.stat.queryid, out.cost);
  });
  return base;
}

/** The rows each statement writes to its target table, and the statements on each table (by oid). */
function tableFacts(workload: Workload): { writes: TableWrite[]; statementsOnTable: Map<number, string[]> } {
  const writes: TableWrite[] = [];
  for (const p of workload.prepared) {
    const target = p.shape.target && lookupTable(p.shape.target, workload.resolveCtx);
    if (target && p.shape.kind !== 'select')
      writes.push({
        tableOid: target.oid,
        kind: p.shape.kind,
        rows: p.stat.rows,
        ...(p.shape.setColumns ? { setColumns: p.shape.setColumns } : {}),
      });
  }
  const statementsOnTable = new Map<number, string[]>();
  for (const p of workload.prepared)
    for (const oid of new Set(p.usages.map((u) => u.table.oid))) {
      const list = statementsOnTable.get(oid) ?? statementsOnTable.set(oid, []).get(oid)!;
      list.push(p.stat.queryid);
    }
  return { writes, statementsOnTable };
}

/** A candidate (or bundle) with its costs alone, its write rows and what the selection needs to know of it. */
function costedChoice(input: {
  g: { key: string; table: TableInfo; members: CandidateIndex[]; relevant: string[] };
  created: { sizeBytes: number }[];
  costs: Map<string, number>;
  /** The writes to this candidate's table, and that table's indexes. */
  writes: TableWrite[];
  indexes: IndexInfo[];
  ctx: AdvisorContext;
}): CostedChoice {
  const { g, created, costs, writes, indexes, ctx } = input;
  const opts = ctx.options.advisor;
  const writeRows = g.members.reduce(
    (s, m) =>
      s +
      indexWriteRows({
        tableOid: g.table.oid,
        columns: [...m.columns.map((c) => c.name), ...(m.include ?? [])],
        writes,
        indexes,
      }),
    0,
  );
  const single = g.members.length === 1 ? g.members[0]! : undefined;
  return {
    members: g.members,
    writeRows,
    choice: {
      key: g.key,
      tableKey: tableKey(g.table.schema, g.table.name),
      tableOid: g.table.oid,
      definitions: g.members.map(hypoDefinition),
      columns: single ? single.columns.map(columnLabel) : [],
      ...(single?.include?.length ? { include: single.include } : {}),
      sizeBytes: created.reduce((s, h) => s + h.sizeBytes, 0),
      writePenalty: writeRows * opts.writeCostPerRow,
      statements: g.relevant,
      costs,
      // Widening an index that already exists (its leading column is indexed) must at least halve
      // the cost, as Dexter requires of multi-column indexes: otherwise it only duplicates the old one.
      ...(single && extendsExisting(single, indexes)
        ? { minImprovement: Math.max(0.5, opts.minStatementImprovement) }
        : {}),
    },
  };
}

interface CostedChoice {
  choice: ConfigCandidate;
  members: CandidateIndex[];
  writeRows: number;
}

/**
 * Stage 4: every candidate (or bundle) alone with hypopg, for every statement on its table — not just the one
 * that suggested it: that is what makes the advice workload-level. Candidates the planner does not use alone
 * are kept with no costs: they may pay once another index is chosen.
 */
async function costAlone(input: {
  session: PlanSession;
  workload: Workload;
  collected: Collected;
  base: Map<string, number>;
  ctx: AdvisorContext;
  result: AdvisorResult;
}): Promise<CostedChoice[]> {
  const { session, workload, collected, base, ctx, result } = input;
  const opts = ctx.options.advisor;
  const byId = new Map(workload.prepared.map((p) => [p.stat.queryid, p]));
  const { writes, statementsOnTable } = tableFacts(workload);
  const groups: { key: string; table: TableInfo; members: CandidateIndex[] }[] = [
    ...[...collected.candidates.values()].map((e) => ({
      key: e.candidate.key,
      table: e.table,
      members: [e.candidate],
    })),
    ...collected.bundles.map((b) => ({ key: b.key, table: b.table, members: b.members })),
  ];
  const tablesOf = (id: string) => new Set(byId.get(id)!.usages.map((u) => u.table.oid));
  // Per table, once: filtering all of a 10,000-table catalog's indexes for each candidate was quadratic.
  const indexesOn = new Map<number, IndexInfo[]>();
  for (const i of ctx.indexes) (indexesOn.get(i.tableOid) ?? indexesOn.set(i.tableOid, []).get(i.tableOid)!).push(i);
  const work = groups.flatMap((g) => {
    const relevant = (statementsOnTable.get(g.table.oid) ?? []).filter(
      (id) => (base.get(id) ?? 0) >= opts.minStatementCost,
    );
    return relevant.length === 0 ? [] : [{ ...g, relevant }];
  });
  const answers = await whatIf(
    session,
    work.map((g) => ({
      definitions: g.members.map(hypoDefinition),
      statements: g.relevant.map((id) => toWhatIf(byId.get(id)!)),
      indexTables: new Set([g.table.oid]),
      statementTables: g.relevant.map(tablesOf),
    })),
    ctx.signal,
  );
  const out: CostedChoice[] = [];
  work.forEach((g, i) => {
    const answer = answers[i]!;
    if (answer.refused) {
      // PostgreSQL refuses the definition (a function that is not IMMUTABLE, an operator class the type lacks):
      // a real CREATE INDEX would be refused too, so the candidate is dropped and the reason kept.
      result.skipped.refusedCandidates ??= [];
      result.skipped.refusedCandidates.push({ index: g.key, reason: answer.reason });
      return;
    }
    result.whatIfCalls += answer.created.length + g.relevant.length;
    const names = new Set(answer.created.map((h) => h.name));
    const costs = new Map<string, number>();
    g.relevant.forEach((id, k) => {
      const res = answer.outcomes[k]!;
      if (res.ok && [...indexNamesInPlan(res.plan)].some((n) => names.has(n))) costs.set(id, res.cost);
    });
    const oid = g.table.oid;
    out.push(
      costedChoice({
        g,
        created: answer.created,
        costs,
        writes: writes.filter((w) => w.tableOid === oid),
        indexes: indexesOn.get(oid) ?? [],
        ctx,
      }),
    );
  });
  return out;
}
