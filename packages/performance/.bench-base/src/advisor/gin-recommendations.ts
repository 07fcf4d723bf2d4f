import { quoteIdent } from '@voicehive/db-core';
import { columnLabel, createIndexSql } from './candidates.js';
import type { GinCandidate } from './collect.js';
import type { AdvisorResult } from './result.js';
import { shortStatementText } from './short-text.js';
import type { Prepared } from './workload.js';

/**
 * hypopg creates hypothetical B-tree, BRIN, hash and bloom indexes only ("access method gin is not supported",
 * hypopg 1.3/1.4): the planner cannot cost a GIN index before it exists. A GIN candidate is therefore proposed
 * with `validated: false` and the reason, for statements whose current plan costs at least `minStatementCost`,
 * lowest priority, within what is left of the index budget; the DBA validates it by creating it (the SQL is
 * CONCURRENTLY) and comparing plans.
 */
export function ginRecommendations(input: {
  gin: GinCandidate[];
  base: Map<string, number>;
  byId: Map<string, Prepared>;
  result: AdvisorResult;
  budget: number;
  minStatementCost: number;
}): void {
  const { result, base, byId } = input;
  const ranked = input.gin
    .map((g) => {
      const ids = [...g.statements].filter((id) => (base.get(id) ?? 0) >= input.minStatementCost);
      const weighted = ids.reduce((s, id) => s + base.get(id)! * byId.get(id)!.stat.calls, 0);
      return { g, ids, weighted };
    })
    .filter((x) => x.ids.length > 0)
    .sort((a, b) => b.weighted - a.weighted)
    .slice(0, input.budget);
  for (const { g, ids } of ranked) {
    const c = g.candidate;
    const opclass = c.columns[0]!.opclass;
    result.recommendations.push({
      table: `${c.schema}.${c.table}`,
      columns: c.columns.map(columnLabel),
      method: 'gin',
      priority: 3,
      createSql: createIndexSql(c, quoteIdent),
      estimatedCostReduction: null,
      estimatedSizeBytes: null,
      affectedQueries: ids.map((id) => ({
        queryHash: id,
        query: shortStatementText(byId.get(id)!.stat.query),
        calls: byId.get(id)!.stat.calls,
        costBefore: base.get(id)!,
        costAfter: null,
      })),
      evidence:
        `${ids.length} statement(s) compare ${c.schema}.${c.table}.${c.columns[0]!.name} with ${g.operators.join(', ')}, ` +
        `which only a GIN index serves (PostgreSQL docs, "GIN Indexes": https://www.postgresql.org/docs/current/gin-builtin-opclasses.html)` +
        (opclass === 'jsonb_path_ops'
          ? '; jsonb_path_ops because the workload only uses operators it supports (@>, @?, @@), and it is smaller and faster than the default jsonb_ops.'
          : '.') +
        ' Not validated: hypopg cannot create hypothetical GIN indexes, so the planner could not cost it; the cost after is unknown.',
      validated: false,
      notValidatedBecause:
        'hypopg does not support the gin access method: the planner cannot cost a hypothetical GIN index',
    });
  }
}
