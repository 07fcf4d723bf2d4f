import { quoteIdent } from '@voicehive/db-core';
import type { SqlRunner, TableInfo } from '../catalog/catalog.js';
import { type CandidateIndex, columnLabel, createIndexSql } from './candidates.js';
import { loadPartitionLayouts, type PartitionLayout, partitionedIndexSql } from './partitioned.js';
import { indexNamesInPlan, type PlanSession } from './plan-session.js';
import { type QualPredicate, qualstatsEvidence } from './qualstats.js';
import type { AdvisorResult, IndexRecommendation } from './result.js';
import { describeAssumed, shownValue } from './sampled-values.js';
import { shortStatementText } from './short-text.js';
import { explainMany, toWhatIf } from './what-if-batch.js';
import type { Prepared } from './workload.js';

/**
 * Stage 6: the chosen indexes created together, every statement planned once more; an index becomes a
 * recommendation only when the planner uses it with all the others present, and its evidence is the cost of
 * the statements it serves before and after under that whole configuration, with its write cost.
 */
// Long: validation under the whole configuration and each index's evidence share the configuration's plans.
export async function buildRecommendations(input: {
  session: PlanSession;
  db: SqlRunner;
  picked: { members: CandidateIndex[]; writeRows: number; sizeBytes: number }[];
  base: Map<string, number>;
  byId: Map<string, Prepared>;
  result: AdvisorResult;
  tablesByOid: Map<number, TableInfo>;
  minCostReduction: number;
  writeCostPerRow: number;
  qualstats: QualPredicate[];
  signal?: AbortSignal;
}): Promise<void> {
  const { session, base, byId, result } = input;
  const weight = (id: string) => byId.get(id)!.stat.calls;
  const members = input.picked.flatMap((p) =>
    p.members.map((m) => ({ m, group: p, size: p.sizeBytes / p.members.length })),
  );
  const created = new Map<string, { oid: number; name: string; sizeBytes: number }>();
  for (const { m } of members) {
    created.set(
      m.key,
      await session.createHypothetical(createIndexSql(m, quoteIdent).replace(' CONCURRENTLY', '').replace(/;$/, '')),
    );
    result.whatIfCalls++;
  }
  const finalCost = new Map(base);
  const usedBy = new Map<string, Set<string>>();
  try {
    const ids = [...base.keys()];
    const outcomes = await explainMany(
      session,
      ids.map((id) => toWhatIf(byId.get(id)!)),
      input.signal,
    );
    result.whatIfCalls += ids.length;
    ids.forEach((id, i) => {
      const out = outcomes[i]!;
      if (!out.ok) return;
      finalCost.set(id, Math.min(out.cost, base.get(id)!));
      const names = indexNamesInPlan(out.plan);
      for (const [key, h] of created)
        if (names.has(h.name)) (usedBy.get(key) ?? usedBy.set(key, new Set()).get(key)!).add(id);
    });
  } finally {
    await session.resetHypothetical();
  }
  const weightedBase = result.workload.weightedBaselineCost ?? 0;
  result.workload.weightedCostWithRecommendations = [...finalCost].reduce((s, [id, c]) => s + c * weight(id), 0);
  const partitionedOids = [...new Set(members.map(({ m }) => m.tableOid))].filter(
    (oid) => input.tablesByOid.get(oid)?.partitioned,
  );
  const layouts = await loadPartitionLayouts(input.db, partitionedOids, input.signal ? { signal: input.signal } : {});
  const candidateOf = new Map<IndexRecommendation, CandidateIndex>();

  for (const { m, group } of members) {
    const used = usedBy.get(m.key);
    if (!used || used.size === 0) continue;
    // The saving of the statements whose final plan uses this index, as a share of the whole workload.
    const saved = [...used].reduce((s, id) => s + (base.get(id)! - finalCost.get(id)!) * weight(id), 0);
    const share = weightedBase > 0 ? saved / weightedBase : 0;
    if (share < input.minCostReduction) {
      result.skipped.belowMinCostReduction.push({ index: m.key, share: Math.round(share * 1e6) / 1e6 });
      // Its saving no longer counts (exact when no other recommendation serves the same statements).
      result.workload.weightedCostWithRecommendations! += saved;
      continue;
    }
    const affected = [...used].map((id) => ({
      queryHash: id,
      query: shortStatementText(byId.get(id)!.stat.query),
      calls: weight(id),
      costBefore: base.get(id)!,
      costAfter: finalCost.get(id)!,
      ...(byId.get(id)!.assumed
        ? { assumedValues: byId.get(id)!.assumed!.map((a) => `${a.column} ${a.operator} ${shownValue(a)}`) }
        : {}),
    }));
    const valued = [...used].map((id) => byId.get(id)!.assumed).filter((a) => a !== undefined);
    const assumedText =
      valued.length > 0
        ? ` Planned with the values the application sends (pg_qualstats samples, else pg_stats' most common values): ${describeAssumed(valued[0]!)}${valued.length > 1 ? ` and ${valued.length - 1} more statement(s)` : ''}.`
        : '';
    const includeText = m.include
      ? ` INCLUDE (${m.include.join(', ')}): the statements also read these columns, so with them in the index the planner answers from the index alone (an index-only scan; it reads the table only for pages not marked all-visible by VACUUM, PostgreSQL docs "Index-Only Scans and Covering Indexes").`
      : '';
    const exprText = m.columns.some((c) => c.fn)
      ? ' An index on the expression the statements compare (PostgreSQL docs, "Indexes on Expressions"); the planner has no statistics on the expression until the index exists and ANALYZE runs, so its estimate uses defaults.'
      : '';
    const partialText = m.where
      ? ` Partial: only rows with ${m.where}, the value the workload almost always asks for, so it is smaller and only those rows' writes maintain it.`
      : '';
    const before = affected.reduce((s, a) => s + a.costBefore * a.calls, 0);
    const after = affected.reduce((s, a) => s + (a.costAfter ?? 0) * a.calls, 0);
    const seenAtRunTime = qualstatsEvidence(
      input.qualstats,
      m.tableOid,
      m.columns.map((c) => c.name),
      used,
    );
    const writeRows = Math.round(group.writeRows / group.members.length);
    const partitioned = input.tablesByOid.get(m.tableOid)?.partitioned === true;
    const layout = layouts.get(m.tableOid);
    const together =
      group.members.length > 1
        ? ` It pays together with ${group.members
            .filter((o) => o !== m)
            .map((o) => o.key)
            .join(', ')} (the planner combines them for an OR across columns).`
        : '';
    const onPartitions = partitioned
      ? layout?.partitions && layout.partitions.length > 0
        ? ` ${m.schema}.${m.table} is partitioned: CREATE INDEX CONCURRENTLY is refused on the parent, so the SQL builds the index ON ONLY the parent and CONCURRENTLY on each of its ${layout.partitions.length} partitions, attaching each.`
        : ` ${m.schema}.${m.table} is partitioned with sub-partitions: a plain CREATE INDEX on the parent (it blocks writes while it builds).`
      : '';
    const rec: IndexRecommendation = {
      table: `${m.schema}.${m.table}`,
      columns: m.columns.map(columnLabel),
      priority: share >= 0.2 ? 1 : share >= 0.05 ? 2 : 3,
      createSql: partitioned
        ? partitionedIndexSql({
            schema: m.schema,
            table: m.table,
            columns: m.columns,
            layout,
            quoteIdent,
            ...(m.include ? { include: m.include } : {}),
            ...(m.where ? { where: m.where } : {}),
          })
        : createIndexSql(m, quoteIdent),
      estimatedCostReduction: Math.round(share * 10_000) / 10_000,
      estimatedSizeBytes: created.get(m.key)?.sizeBytes ?? null,
      affectedQueries: affected,
      evidence:
        `With the recommended indexes in place (hypothetical, hypopg) the planner uses this one for ${affected.length} statement(s); ` +
        `their calls-weighted cost drops from ${Math.round(before)} to ${Math.round(after)} ` +
        `(${before > 0 ? Math.round((1 - after / before) * 100) : 0}%). Write cost charged: ${Math.round(writeRows * input.writeCostPerRow)} (${writeRows} rows the workload inserted or updated without HOT would add entries; DELETEs add none).` +
        together +
        onPartitions +
        partialText +
        includeText +
        exprText +
        assumedText +
        (seenAtRunTime ? ` ${seenAtRunTime}` : ''),
      validated: true,
      writeRows,
      ...(m.include ? { include: m.include } : {}),
    };
    candidateOf.set(rec, m);
    result.recommendations.push(rec);
  }
  result.recommendations = foldPartitionsIntoParents(result.recommendations, candidateOf, layouts);
  result.recommendations.sort((a, b) => (b.estimatedCostReduction ?? 0) - (a.estimatedCostReduction ?? 0));
}

/**
 * An index recommended on a partitioned table is built on every partition (the SQL creates one per partition and
 * attaches it; PostgreSQL docs, "Partition Maintenance"): a recommendation of the same index on one of its
 * partitions (a statement that reads the partition directly) would build that index a second time. It is folded
 * into the parent's, whose affected statements and saving it adds to.
 */
function foldPartitionsIntoParents(
  recs: IndexRecommendation[],
  candidateOf: Map<IndexRecommendation, CandidateIndex>,
  layouts: Map<number, PartitionLayout>,
): IndexRecommendation[] {
  const same = (a: CandidateIndex, b: CandidateIndex) =>
    a.where === b.where && a.columns.map(columnLabel).join() === b.columns.map(columnLabel).join();
  const folded = new Set<IndexRecommendation>();
  for (const parent of recs) {
    const pc = candidateOf.get(parent)!;
    const parts = layouts.get(pc.tableOid)?.partitions;
    if (!parts) continue;
    for (const child of recs) {
      const cc = candidateOf.get(child)!;
      if (child === parent || folded.has(child) || !same(pc, cc)) continue;
      if (!parts.some((p) => p.schema === cc.schema && p.name === cc.table)) continue;
      folded.add(child);
      parent.affectedQueries.push(
        ...child.affectedQueries.filter((q) => !parent.affectedQueries.some((o) => o.queryHash === q.queryHash)),
      );
      if (parent.estimatedCostReduction !== null && child.estimatedCostReduction !== null)
        parent.estimatedCostReduction =
          Math.round((parent.estimatedCostReduction + child.estimatedCostReduction) * 10_000) / 10_000;
      parent.evidence += ` It also serves the statements that read partition ${child.table} directly (the partition's copy of this index).`;
    }
  }
  return recs.filter((r) => !folded.has(r));
}
