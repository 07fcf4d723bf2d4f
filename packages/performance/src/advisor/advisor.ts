import { type Logger, quoteIdent, throwIfAborted } from '@voicehive/db-core';
import {
  type ColumnStats,
  type IndexInfo,
  loadColumnStats,
  loadColumns,
  type SqlRunner,
  type TableInfo,
  tableKey,
} from '../catalog/catalog.js';
import type { StatementStats } from '../monitor/statements.js';
import type { ResolvedOptions } from '../options.js';
import { loadParser, normalizeSql } from '../sql/parser.js';
import { buildCandidates, type CandidateIndex, coveringIndex, createIndexSql } from './candidates.js';
import { analyseDrops, type DropAnalysis } from './drop-analysis.js';
import { type CostedCandidate, selectGreedy } from './greedy.js';
import { rankHeuristic } from './heuristic.js';
import { parseStatement, type StatementShape } from './parse-statement.js';
import { indexNamesInPlan, type PlanNode, type PlanSession } from './plan-session.js';
import { observedSelectivity, type QualPredicate, qualstatsEvidence } from './qualstats.js';
import { buildResolveContext, lookupTable, resolveUsage, type TableUsage } from './resolve.js';

export interface AffectedQuery {
  queryHash: string;
  /** Normalised text, shortened. */
  query: string;
  calls: number;
  costBefore: number;
  /** Planner cost with all recommended indexes in place; null in heuristic mode. */
  costAfter: number | null;
}

export interface IndexRecommendation {
  /** `schema.table`. */
  table: string;
  /** Key columns in order; a descending column reads `"started_at DESC"`. */
  columns: string[];
  /** 1 high … 3 low, from the share of the workload's planner cost it removes. */
  priority: 1 | 2 | 3;
  createSql: string;
  /** Fraction (0–1) of the whole workload's calls-weighted planner cost this index removes; null when not validated. */
  estimatedCostReduction: number | null;
  /** hypopg's size estimate; null without hypopg. */
  estimatedSizeBytes: number | null;
  affectedQueries: AffectedQuery[];
  /** Why, in one or two sentences a DBA can check. */
  evidence: string;
  /** True when the planner used the index in a what-if plan (hypopg). */
  validated: boolean;
}

export interface AdvisorSkipped {
  /**
   * Statement text the PostgreSQL parser rejects, or hidden by privileges (`<insufficient privilege>`).
   * pg_stat_statements itself keeps full text (tested: a 7,887-character statement with
   * track_activity_query_size = 1kB), so truncation only comes from text read elsewhere.
   */
  unparseable: number;
  /** Statements not planned: utility statements, or no user table of this database. */
  notApplicable: number;
  /** Statements that failed EXPLAIN, with the reason. */
  explainFailed: { queryHash: string; error: string }[];
  /** Tables below `minTableRows` that statements touch: never given an index. */
  smallTables: string[];
  /** Candidates an existing index already serves. */
  coveredCandidates: string[];
  /** Chosen and validated indexes dropped because they remove less than `minCostReduction` of the workload's cost. */
  belowMinCostReduction: { index: string; share: number }[];
}

export interface AdvisorResult {
  mode: 'hypopg' | 'heuristic';
  recommendations: IndexRecommendation[];
  workload: {
    statements: number;
    /** Σ calls × planner cost without the recommendations. */
    weightedBaselineCost: number | null;
    /** Σ calls × planner cost with all recommendations (hypothetically) in place. */
    weightedCostWithRecommendations: number | null;
  };
  skipped: AdvisorSkipped;
  /** Baseline generic plans by queryid, reused by the plan analysis. */
  plans: Map<string, PlanNode>;
  /** What-if drops of existing indexes; null when it did not run (option off, or no way to hide indexes). */
  drops: DropAnalysis | null;
  /** What pg_qualstats added; null when it was not read. */
  qualstats: QualstatsContribution | null;
  whatIfCalls: number;
  durationMs: number;
}

export interface QualstatsContribution {
  /** Predicates read (statement × column × operator). */
  predicates: number;
  /** Analysed statements pg_qualstats had predicates for. */
  statements: number;
  /** Statement × table × column uses the parser did not find and pg_qualstats did (views, functions the parser cannot see into). */
  columnsAdded: number;
}

interface Prepared {
  stat: StatementStats;
  shape: StatementShape;
  usages: TableUsage[];
}

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
  signal?: AbortSignal;
}

/** Display text: normalised again (pg_stat_statements keeps literals in some statements) and shortened. */
const shortText = (raw: string): string => {
  const q = normalizeSql(raw);
  return q.length > 300 ? `${q.slice(0, 297)}...` : q;
};

/**
 * The workload-level advisor: parse → candidates → what-if cost of each
 * candidate with hypopg → greedy selection under the budget → validation of
 * the chosen set together. Falls back to a statistics heuristic without
 * hypopg, and plans nothing (but still reports) when EXPLAIN is not allowed.
 */
export async function runAdvisor(statements: StatementStats[], ctx: AdvisorContext): Promise<AdvisorResult> {
  const started = performance.now();
  const opts = ctx.options.advisor;
  await loadParser();
  const result: AdvisorResult = {
    mode: ctx.session?.hasHypopg ? 'hypopg' : 'heuristic',
    recommendations: [],
    workload: { statements: 0, weightedBaselineCost: null, weightedCostWithRecommendations: null },
    skipped: {
      unparseable: 0,
      notApplicable: 0,
      explainFailed: [],
      smallTables: [],
      coveredCandidates: [],
      belowMinCostReduction: [],
    },
    plans: new Map(),
    drops: null,
    qualstats: null,
    whatIfCalls: 0,
    durationMs: 0,
  };

  const chosen = statements
    .filter((s) => s.calls >= opts.minCalls)
    .sort((a, b) => b.totalExecMs - a.totalExecMs)
    .slice(0, opts.maxStatements);
  const parsed: { stat: StatementStats; shape: StatementShape }[] = [];
  for (const stat of chosen) {
    const out = parseStatement(stat.query);
    if (!out.ok) {
      result.skipped.unparseable++;
      continue;
    }
    if (!['select', 'update', 'delete', 'insert'].includes(out.shape.kind) || out.shape.tables.length === 0) {
      result.skipped.notApplicable++;
      continue;
    }
    parsed.push({ stat, shape: out.shape });
  }

  const tablesByKey = new Map(ctx.tables.map((t) => [tableKey(t.schema, t.name), t]));
  const tablesByOid = new Map(ctx.tables.map((t) => [t.oid, t]));
  const quals = new Map<string, QualPredicate[]>();
  for (const q of ctx.qualstats ?? []) (quals.get(q.queryid) ?? quals.set(q.queryid, []).get(q.queryid)!).push(q);
  const referenced = new Map<number, TableInfo>();
  const resolveCtxTables = buildResolveContext(ctx.tables, new Map());
  for (const p of parsed) {
    for (const ref of p.shape.tables) {
      const t = ref.schema
        ? tablesByKey.get(tableKey(ref.schema, ref.name))
        : resolveCtxTables.tablesByName.get(ref.name);
      if (t) referenced.set(t.oid, t);
    }
    // pg_qualstats names the base tables, also those behind a view the statement reads.
    for (const q of quals.get(p.stat.queryid) ?? []) {
      const t = tablesByOid.get(q.tableOid);
      if (t) referenced.set(t.oid, t);
    }
  }
  throwIfAborted(ctx.signal, 'index advice');
  const columns = await loadColumns(ctx.db, [...referenced.keys()], { signal: ctx.signal });
  const stats = await loadColumnStats(ctx.db, [...referenced.values()], { signal: ctx.signal });
  const statsFor =
    (t: TableInfo) =>
    (col: string): ColumnStats | undefined =>
      stats.get(`${tableKey(t.schema, t.name)}.${col}`);
  const resolveCtx = buildResolveContext([...referenced.values()], columns);

  const prepared: Prepared[] = [];
  if (ctx.qualstats) result.qualstats = { predicates: ctx.qualstats.length, statements: 0, columnsAdded: 0 };
  for (const p of parsed) {
    const usages = resolveUsage(p.shape, resolveCtx);
    const seen = quals.get(p.stat.queryid);
    if (seen && result.qualstats) {
      result.qualstats.statements++;
      result.qualstats.columnsAdded += mergeQualstats(usages, seen, tablesByOid);
    }
    if (usages.length === 0 && p.shape.tables.every((t) => !resolveCtx.tablesByName.has(t.name))) {
      result.skipped.notApplicable++;
      continue;
    }
    prepared.push({ ...p, usages });
  }
  result.workload.statements = prepared.length;
  // Rows written per table in the same window as the reads (pg_stat_statements),
  // so a bulk load before the last statistics reset does not count as workload.
  const writtenRows = new Map<number, number>();
  for (const p of prepared) {
    const target = p.shape.target && lookupTable(p.shape.target, resolveCtx);
    if (target && p.shape.kind !== 'select')
      writtenRows.set(target.oid, (writtenRows.get(target.oid) ?? 0) + p.stat.rows);
  }
  const statementsOnTable = new Map<number, string[]>();
  for (const p of prepared) {
    for (const oid of new Set(p.usages.map((u) => u.table.oid)))
      statementsOnTable.set(oid, [...(statementsOnTable.get(oid) ?? []), p.stat.queryid]);
  }

  // Candidates, minus tiny tables and what existing indexes already serve.
  const candidates = new Map<string, { candidate: CandidateIndex; statements: Set<string>; table: TableInfo }>();
  const small = new Set<string>();
  const rangeColumns = new Map<number, Set<string>>();
  for (const p of prepared) {
    for (const u of p.usages) {
      const set = rangeColumns.get(u.table.oid) ?? new Set<string>();
      for (const c of [...u.range, ...u.sort.map((x) => x.column)]) set.add(c);
      rangeColumns.set(u.table.oid, set);
    }
  }
  for (const p of prepared) {
    for (const u of p.usages) {
      if (u.table.reltuples < opts.minTableRows) {
        small.add(tableKey(u.table.schema, u.table.name));
        continue;
      }
      const rangeElsewhere = rangeColumns.get(u.table.oid) ?? new Set<string>();
      for (const c of buildCandidates(u, statsFor(u.table), { maxColumns: opts.maxColumns, rangeElsewhere })) {
        if (coveringIndex(c, ctx.indexes)) {
          if (!result.skipped.coveredCandidates.includes(c.key)) result.skipped.coveredCandidates.push(c.key);
          continue;
        }
        const entry = candidates.get(c.key) ?? { candidate: c, statements: new Set<string>(), table: u.table };
        entry.statements.add(p.stat.queryid);
        candidates.set(c.key, entry);
      }
    }
  }
  result.skipped.smallTables = [...small].sort();
  // Direction only matters for ORDER BY: fold a range/equality candidate into the
  // same columns ordered for a sort, so one index serves both statements.
  for (const [key, entry] of candidates) {
    if (entry.candidate.servesSort) continue;
    const names = entry.candidate.columns.map((c) => c.name).join(',');
    const twin = [...candidates.values()].find(
      (o) =>
        o.candidate.servesSort &&
        o.candidate.tableOid === entry.candidate.tableOid &&
        o.candidate.columns.map((c) => c.name).join(',') === names,
    );
    if (twin) {
      for (const id of entry.statements) twin.statements.add(id);
      candidates.delete(key);
    }
  }

  const session = ctx.session;
  if (!session) {
    result.mode = 'heuristic';
    heuristicRecommendations(result, prepared, candidates, statsFor, opts.maxIndexes, ctx.qualstats ?? [], ctx.indexes);
    result.durationMs = performance.now() - started;
    return result;
  }

  // Baseline generic plans (also what the plan analysis reads).
  const base = new Map<string, number>();
  const byId = new Map(prepared.map((p) => [p.stat.queryid, p]));
  if (session.hasHypopg) await session.resetHypothetical();
  for (const p of prepared) {
    throwIfAborted(ctx.signal, 'index advice');
    // INSERT … VALUES reads nothing an index could serve; it only counts as writes.
    if (p.shape.kind === 'insert' && p.usages.length === 0) continue;
    const out = await session.explain(p.stat.query, p.shape.paramCount);
    result.whatIfCalls++;
    if (!out.ok) {
      result.skipped.explainFailed.push({ queryHash: p.stat.queryid, error: out.error });
      continue;
    }
    result.plans.set(p.stat.queryid, out.plan);
    base.set(p.stat.queryid, out.cost);
  }
  const weight = (id: string) => byId.get(id)!.stat.calls;
  const weightedBase = [...base].reduce((s, [id, c]) => s + c * weight(id), 0);
  result.workload.weightedBaselineCost = weightedBase;
  // Before any hypothetical index exists, against the baseline plans.
  if (opts.dropAnalysis && session.hideMethod) {
    result.drops = await analyseDrops({
      session,
      statements: [...base].map(([id, cost]) => {
        const p = byId.get(id)!;
        return {
          id,
          text: p.stat.query,
          shown: shortText(p.stat.query),
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
  }

  if (!session.hasHypopg) {
    result.mode = 'heuristic';
    heuristicRecommendations(result, prepared, candidates, statsFor, opts.maxIndexes, ctx.qualstats ?? [], ctx.indexes);
    result.durationMs = performance.now() - started;
    return result;
  }

  // What-if cost of every candidate, alone, for the statements that produced it.
  const costed: CostedCandidate[] = [];
  const sizes = new Map<string, number>();
  for (const { candidate, table } of candidates.values()) {
    throwIfAborted(ctx.signal, 'index advice');
    // Every statement on the table, not just the one that suggested the candidate: that is what makes it workload-level.
    const relevant = (statementsOnTable.get(table.oid) ?? []).filter(
      (id) => (base.get(id) ?? 0) >= opts.minStatementCost,
    );
    if (relevant.length === 0) continue;
    const hypo = await session.createHypothetical(
      createIndexSql(candidate, quoteIdent).replace(' CONCURRENTLY', '').replace(/;$/, ''),
    );
    result.whatIfCalls++;
    const costs = new Map<string, number>();
    try {
      for (const id of relevant) {
        const p = byId.get(id)!;
        const out = await session.explain(p.stat.query, p.shape.paramCount);
        result.whatIfCalls++;
        if (out.ok && indexNamesInPlan(out.plan).has(hypo.name)) costs.set(id, out.cost);
      }
    } finally {
      await session.dropHypothetical(hypo.oid);
    }
    sizes.set(candidate.key, hypo.sizeBytes);
    if (costs.size === 0) continue;
    costed.push({
      key: candidate.key,
      tableKey: tableKey(table.schema, table.name),
      sizeBytes: hypo.sizeBytes,
      writePenalty: (writtenRows.get(table.oid) ?? 0) * opts.writeCostPerRow,
      costs,
      columns: candidate.columns.map((c) => `${c.name}${c.desc ? ' DESC' : ''}`),
      // Widening an index that already exists (its leading column is indexed) must at least halve
      // the cost, as Dexter requires of multi-column indexes: otherwise it only duplicates the old one.
      ...(extendsExisting(candidate, ctx.indexes)
        ? { minImprovement: Math.max(0.5, opts.minStatementImprovement) }
        : {}),
    });
  }
  const selection = selectGreedy(
    [...base].map(([id, baseCost]) => ({ id, weight: weight(id), baseCost })),
    costed,
    {
      maxIndexes: opts.maxIndexes,
      maxTotalBytes: opts.maxTotalBytes,
      minStatementImprovement: opts.minStatementImprovement,
      minSavingPerCall: opts.minStatementCost,
    },
  );

  // Validate the chosen set together: keep only indexes the planner uses with all of them present.
  const created = new Map<string, { oid: number; name: string }>();
  for (const sel of selection) {
    const c = candidates.get(sel.key)!.candidate;
    created.set(
      sel.key,
      await session.createHypothetical(createIndexSql(c, quoteIdent).replace(' CONCURRENTLY', '').replace(/;$/, '')),
    );
    result.whatIfCalls++;
  }
  const finalCost = new Map(base);
  const usedBy = new Map<string, Set<string>>();
  for (const [id] of base) {
    const p = byId.get(id)!;
    const out = await session.explain(p.stat.query, p.shape.paramCount);
    result.whatIfCalls++;
    if (!out.ok) continue;
    finalCost.set(id, Math.min(out.cost, base.get(id)!));
    const names = indexNamesInPlan(out.plan);
    for (const [key, h] of created)
      if (names.has(h.name)) (usedBy.get(key) ?? usedBy.set(key, new Set()).get(key)!).add(id);
  }
  await session.resetHypothetical();
  result.workload.weightedCostWithRecommendations = [...finalCost].reduce((s, [id, c]) => s + c * weight(id), 0);

  for (const sel of selection) {
    const used = usedBy.get(sel.key);
    if (!used || used.size === 0) continue;
    const { candidate } = candidates.get(sel.key)!;
    // The saving of the statements whose final plan uses this index, as a share of the whole workload.
    const saved = [...used].reduce((s, id) => s + (base.get(id)! - finalCost.get(id)!) * weight(id), 0);
    const share = weightedBase > 0 ? saved / weightedBase : 0;
    if (share < opts.minCostReduction) {
      result.skipped.belowMinCostReduction.push({ index: sel.key, share: Math.round(share * 1e6) / 1e6 });
      // Its saving no longer counts (exact when no other recommendation serves the same statements).
      result.workload.weightedCostWithRecommendations! += saved;
      continue;
    }
    const affected = [...used].map((id) => ({
      queryHash: id,
      query: shortText(byId.get(id)!.stat.query),
      calls: weight(id),
      costBefore: base.get(id)!,
      costAfter: finalCost.get(id)!,
    }));
    const before = affected.reduce((s, a) => s + a.costBefore * a.calls, 0);
    const after = affected.reduce((s, a) => s + (a.costAfter ?? 0) * a.calls, 0);
    const seenAtRunTime = qualstatsEvidence(
      ctx.qualstats ?? [],
      candidate.tableOid,
      candidate.columns.map((c) => c.name),
      used,
    );
    result.recommendations.push({
      table: `${candidate.schema}.${candidate.table}`,
      columns: candidate.columns.map((c) => (c.desc ? `${c.name} DESC` : c.name)),
      priority: share >= 0.2 ? 1 : share >= 0.05 ? 2 : 3,
      createSql: createIndexSql(candidate, quoteIdent),
      estimatedCostReduction: Math.round(share * 10_000) / 10_000,
      estimatedSizeBytes: sizes.get(sel.key) ?? null,
      affectedQueries: affected,
      evidence:
        `With this index (hypothetical, hypopg) the planner uses it for ${affected.length} statement(s); ` +
        `their calls-weighted cost drops from ${Math.round(before)} to ${Math.round(after)} ` +
        `(${before > 0 ? Math.round((1 - after / before) * 100) : 0}%). Write penalty charged: ${Math.round((writtenRows.get(candidate.tableOid) ?? 0) * opts.writeCostPerRow)} (${writtenRows.get(candidate.tableOid) ?? 0} rows written by the workload).` +
        (seenAtRunTime ? ` ${seenAtRunTime}` : ''),
      validated: true,
    });
  }

  result.recommendations.sort((a, b) => (b.estimatedCostReduction ?? 0) - (a.estimatedCostReduction ?? 0));
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

function extendsExisting(candidate: CandidateIndex, indexes: IndexInfo[]): boolean {
  const lead = candidate.columns[0]!.name;
  return (
    candidate.columns.length > 1 &&
    indexes.some(
      (i) => i.tableOid === candidate.tableOid && i.valid && !i.partial && i.am === 'btree' && i.columns[0] === lead,
    )
  );
}

function heuristicRecommendations(
  result: AdvisorResult,
  prepared: Prepared[],
  candidates: Map<string, { candidate: CandidateIndex; statements: Set<string>; table: TableInfo }>,
  statsFor: (t: TableInfo) => (col: string) => ColumnStats | undefined,
  maxIndexes: number,
  quals: QualPredicate[],
  indexes: IndexInfo[],
): void {
  const calls = new Map(prepared.map((p) => [p.stat.queryid, p.stat.calls]));
  const observed = observedSelectivity(quals);
  // Statement × table pairs with an equality or join column: an index led by that column serves them.
  const filtered = new Set<string>();
  for (const p of prepared)
    for (const u of p.usages)
      if (u.eq.length > 0 || u.join.length > 0) filtered.add(`${p.stat.queryid}:${u.table.oid}`);
  // Without a planner to say so, widening an existing index, or a sort/range-only index for statements that
  // already filter by equality, is a guess that is usually wrong; hypopg mode can still find those.
  const plausible = [...candidates.values()].filter(
    (c) =>
      !extendsExisting(c.candidate, indexes) &&
      (c.candidate.eqCount > 0 || [...c.statements].some((id) => !filtered.has(`${id}:${c.table.oid}`))),
  );
  const picks = rankHeuristic(
    plausible.map((c) => ({
      candidate: c.candidate,
      reltuples: c.table.reltuples,
      calls: [...c.statements].reduce((s, id) => s + (calls.get(id) ?? 0), 0),
      stats: statsFor(c.table),
      observedSelectivity: (column: string) => observed.get(`${c.table.oid}.${column}`),
    })),
    maxIndexes,
  );
  const byId = new Map(prepared.map((p) => [p.stat.queryid, p]));
  const total = picks.reduce((s, p) => s + p.score, 0);
  for (const pick of picks) {
    const c = pick.candidate;
    const share = total > 0 ? pick.score / total : 0;
    const entry = candidates.get(c.key)!;
    const seenAtRunTime = qualstatsEvidence(
      quals,
      c.tableOid,
      c.columns.map((col) => col.name),
      entry.statements,
    );
    result.recommendations.push({
      table: `${c.schema}.${c.table}`,
      columns: c.columns.map((col) => (col.desc ? `${col.name} DESC` : col.name)),
      priority: share >= 0.3 ? 1 : share >= 0.1 ? 2 : 3,
      createSql: createIndexSql(c, quoteIdent),
      estimatedCostReduction: null,
      estimatedSizeBytes: null,
      affectedQueries: [...entry.statements].map((id) => ({
        queryHash: id,
        query: shortText(byId.get(id)!.stat.query),
        calls: calls.get(id) ?? 0,
        costBefore: result.plans.get(id)?.['Total Cost'] ?? 0,
        costAfter: null,
      })),
      evidence:
        `Heuristic (no hypopg): the leading column matches about ${(pick.selectivity * 100).toFixed(2)}% of ` +
        `${Math.round(entry.table.reltuples)} rows per lookup (${pick.observed ? 'observed by pg_qualstats' : 'pg_stats'}). Not validated by the planner: install hypopg to validate.` +
        (seenAtRunTime ? ` ${seenAtRunTime}` : ''),
      validated: false,
    });
  }
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
      usage = { table, eq: [], range: [], join: [], sort: [], group: [] };
      usages.push(usage);
    }
    const known = [...usage.eq, ...usage.range, ...usage.join].includes(q.column);
    if (known) continue;
    usage[q.kind].push(q.column);
    added++;
  }
  return added;
}
