/** A statement of the workload with its weight (calls) and baseline planner cost. */
export interface WorkloadStatement {
  id: string;
  weight: number;
  baseCost: number;
}

/** One candidate with its what-if cost for each statement it could change. */
export interface CostedCandidate {
  key: string;
  tableKey: string;
  sizeBytes: number;
  /** Weighted cost the index adds through writes (see advisor options). */
  writePenalty: number;
  /** Planner cost of a statement with this index alone present. */
  costs: Map<string, number>;
  /** Key columns, used to drop a chosen index that another chosen one starts with. */
  columns: string[];
  /** Overrides the budget's minStatementImprovement for this candidate. */
  minImprovement?: number;
}

export interface GreedyBudget {
  maxIndexes: number;
  maxTotalBytes: number;
  /** A statement counts as helped only when its cost drops by at least this fraction. */
  minStatementImprovement: number;
  /** …and by at least this many planner cost units per call (a 50% saving on a 12-unit lookup is noise). Default 0. */
  minSavingPerCall?: number;
}

export interface Selection {
  key: string;
  /** Weighted cost saved at the moment it was chosen (after the earlier picks). */
  marginalBenefit: number;
  /** Statements whose best cost this index provides. */
  statements: string[];
}

/**
 * Greedy workload-level selection (the "Extend"/AutoAdmin family): each round
 * picks the candidate with the largest net saving of calls × planner cost
 * over the whole workload, where a statement's cost with several indexes is
 * its cheapest single-index cost. Stops at the count or size budget or when
 * nothing saves more than it costs in writes.
 */
export function selectGreedy(
  statements: WorkloadStatement[],
  candidates: CostedCandidate[],
  budget: GreedyBudget,
): Selection[] {
  const current = new Map(statements.map((s) => [s.id, s.baseCost]));
  const base = new Map(statements.map((s) => [s.id, s.baseCost]));
  const weight = new Map(statements.map((s) => [s.id, s.weight]));
  const remaining = [...candidates];
  const chosen: Selection[] = [];
  let usedBytes = 0;
  const effective = (c: CostedCandidate, id: string): number | undefined => {
    const cost = c.costs.get(id);
    const b = base.get(id);
    if (cost === undefined || b === undefined) return undefined;
    const enough =
      cost <= b * (1 - (c.minImprovement ?? budget.minStatementImprovement)) &&
      b - cost >= (budget.minSavingPerCall ?? 0);
    return enough ? cost : undefined;
  };
  while (chosen.length < budget.maxIndexes && remaining.length > 0) {
    let best: { c: CostedCandidate; net: number; gain: number; helped: string[] } | undefined;
    for (const c of remaining) {
      if (usedBytes + c.sizeBytes > budget.maxTotalBytes) continue;
      let gain = 0;
      const helped: string[] = [];
      for (const id of c.costs.keys()) {
        const cost = effective(c, id);
        const now = current.get(id)!;
        if (cost !== undefined && cost < now) {
          gain += (now - cost) * weight.get(id)!;
          helped.push(id);
        }
      }
      const net = gain - c.writePenalty;
      if (net <= 0) continue;
      // Within 1% the planner's estimates do not tell the candidates apart: prefer the one serving more statements, then the smaller.
      const close = best !== undefined && Math.abs(net - best.net) <= 0.01 * Math.max(net, best.net);
      const better =
        !best ||
        (close
          ? helped.length > best.helped.length ||
            (helped.length === best.helped.length && c.sizeBytes < best.c.sizeBytes)
          : net > best.net);
      if (better) best = { c, net, gain, helped };
    }
    if (!best) break;
    chosen.push({ key: best.c.key, marginalBenefit: best.net, statements: best.helped });
    usedBytes += best.c.sizeBytes;
    for (const id of best.helped) current.set(id, effective(best.c, id)!);
    remaining.splice(remaining.indexOf(best.c), 1);
  }
  // An index that is a leading prefix of another chosen index on the same table is served by it.
  const byKey = new Map(candidates.map((c) => [c.key, c]));
  return chosen.filter((sel) => {
    const c = byKey.get(sel.key)!;
    return !chosen.some((other) => {
      const o = byKey.get(other.key)!;
      return (
        o !== c &&
        o.tableKey === c.tableKey &&
        o.columns.length > c.columns.length &&
        c.columns.every((col, i) => o.columns[i] === col)
      );
    });
  });
}
