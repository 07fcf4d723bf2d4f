import { quoteIdent } from '@voicehive/db-core';
import type { ColumnStats, IndexInfo, TableInfo } from '../catalog/catalog.js';
import { columnLabel, createIndexSql, extendsExisting } from './candidates.js';
import type { CandidateEntry } from './collect.js';
import { rankHeuristic } from './heuristic.js';
import { observedSelectivity, type QualPredicate, qualstatsEvidence } from './qualstats.js';
import type { AdvisorResult } from './result.js';
import { shortStatementText } from './short-text.js';
import type { Prepared } from './workload.js';

/** Without hypopg (or without EXPLAIN): candidates ranked from statistics, marked `validated: false`. */
export function heuristicRecommendations(input: {
  result: AdvisorResult;
  prepared: Prepared[];
  candidates: Map<string, CandidateEntry>;
  statsFor: (t: TableInfo) => (col: string) => ColumnStats | undefined;
  maxIndexes: number;
  quals: QualPredicate[];
  indexes: IndexInfo[];
}): void {
  const { result, prepared, candidates, statsFor, quals, indexes } = input;
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
    input.maxIndexes,
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
      columns: c.columns.map(columnLabel),
      priority: share >= 0.3 ? 1 : share >= 0.1 ? 2 : 3,
      createSql: createIndexSql(c, quoteIdent),
      estimatedCostReduction: null,
      estimatedSizeBytes: null,
      affectedQueries: [...entry.statements].map((id) => ({
        queryHash: id,
        query: shortStatementText(byId.get(id)!.stat.query),
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
