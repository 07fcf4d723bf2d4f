import { errorMessage, type Logger, throwIfAborted } from '@voicehive/db-core';
import type { IndexInfo } from '../catalog/catalog.js';
import { isProtected } from '../health/protected.js';
import { type HideMethod, indexNamesInPlan, type PlanNode, type PlanSession } from './plan-session.js';
import type { SlowerStatement } from './slower-statement.js';

/** A workload statement as the drop analysis needs it: its baseline plan and cost, and the tables it reads. */
export interface DropWorkloadStatement {
  id: string;
  /** Text to EXPLAIN (with $n placeholders). */
  text: string;
  /** Normalised, shortened text for the report. */
  shown: string;
  paramCount: number;
  calls: number;
  tableOids: Set<number>;
  baseCost: number;
  basePlan: PlanNode;
}

export interface DropImpact {
  /** Σ calls × (cost with the index hidden − cost now) over the workload's statements on its table. */
  costIncrease: number;
  /** Statements that would lose at least `minStatementImprovement` and `minStatementCost` per call, worst first. */
  slowerStatements: SlowerStatement[];
  /** The index the plans that used this one switch to, when they all switch to the same one. */
  replacedBy: string | null;
}

export interface DropAnalysis {
  method: HideMethod;
  /** By index oid, for every index analysed. */
  impacts: Map<number, DropImpact>;
  /** Indexes whose analysis failed (an EXPLAIN or the hide itself), with the reason: no impact is guessed for them. */
  failed: { index: string; error: string }[];
  /**
   * Indexes that the workload's plans use today but do not need: hidden, every plan stays within the
   * thresholds, using `replacedBy` instead. Usage counters cannot show these (idx_scan keeps rising).
   */
  notNeeded: { index: IndexInfo; replacedBy: IndexInfo }[];
  /** EXPLAINs run. */
  explains: number;
}

export interface DropAnalysisOptions {
  session: PlanSession;
  statements: DropWorkloadStatement[];
  /** Unused and redundant indexes (from statistics): analysed always. */
  suspects: IndexInfo[];
  /** Every index on the workload's tables; with scope `workload` those its plans use are analysed too. */
  indexes: IndexInfo[];
  scope: 'suspects' | 'workload';
  /** A statement loses when its cost rises by at least this fraction… */
  minStatementImprovement: number;
  /** …and by at least this many cost units per call. */
  minStatementCost: number;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * What-if drops: hide each index from the planner, plan again every workload statement on its table, and
 * measure what the workload would lose. It needs a session that can hide indexes (`session.hideMethod`).
 */
// Long: hide, re-plan and unhide per index, with the unhide in a finally around the re-planning.
export async function analyseDrops(opts: DropAnalysisOptions): Promise<DropAnalysis> {
  const { session, statements } = opts;
  const method = session.hideMethod;
  if (!method) throw new Error('analyseDrops needs a session that can hide indexes');
  const out: DropAnalysis = { method, impacts: new Map(), failed: [], notNeeded: [], explains: 0 };
  const suspectOids = new Set(opts.suspects.map((i) => i.oid));
  const usedByPlans = new Set<string>();
  for (const s of statements) for (const name of indexNamesInPlan(s.basePlan)) usedByPlans.add(name);
  const targets = [...opts.suspects];
  if (opts.scope === 'workload') {
    const tables = new Set(statements.flatMap((s) => [...s.tableOids]));
    // Largest first: of two indexes that can stand in for each other, the bigger one is offered for dropping.
    const inUse = opts.indexes
      .filter(
        (i) =>
          !suspectOids.has(i.oid) && i.valid && !isProtected(i) && tables.has(i.tableOid) && usedByPlans.has(i.name),
      )
      .sort((a, b) => b.sizeBytes - a.sizeBytes);
    targets.push(...inUse);
  }
  const indexByName = new Map(opts.indexes.map((i) => [`${i.tableOid}:${i.name}`, i]));
  const byName = (table: number, name: string) => indexByName.get(`${table}:${name}`);
  // Offered for dropping (by statistics, or found here): such an index cannot stand in for another.
  const offered = new Set(suspectOids);
  // Stand-ins: analysing one next would offer both of a pair for dropping.
  const keep = new Set<number>();

  for (const idx of targets) {
    throwIfAborted(opts.signal, 'what-if drop analysis');
    if (keep.has(idx.oid)) continue;
    const onTable = statements.filter((s) => s.tableOids.has(idx.tableOid));
    if (onTable.length === 0) {
      // No workload statement reads the table: nothing to plan, so no reason to hide (or write a catalog row).
      out.impacts.set(idx.oid, { costIncrease: 0, slowerStatements: [], replacedBy: null });
      continue;
    }
    const slower: SlowerStatement[] = [];
    const replacements = new Set<string>();
    let increase = 0;
    let error: string | undefined;
    try {
      if (!(await session.hide(idx.oid))) error = 'the index could not be hidden (already invalid, or dropped)';
      for (const s of error ? [] : onTable) {
        const plan = await session.explain(s.text, s.paramCount);
        out.explains++;
        if (!plan.ok) {
          // One statement we cannot plan makes the total meaningless: report the index as not analysed.
          error = `EXPLAIN of statement ${s.id} failed with the index hidden: ${plan.error}`;
          break;
        }
        const delta = plan.cost - s.baseCost;
        increase += Math.max(0, delta) * s.calls;
        if (indexNamesInPlan(s.basePlan).has(idx.name))
          for (const name of indexNamesInPlan(plan.plan))
            if (name !== idx.name && byName(idx.tableOid, name)) replacements.add(name);
        if (delta >= opts.minStatementCost && delta >= s.baseCost * opts.minStatementImprovement)
          slower.push({
            queryHash: s.id,
            query: s.shown,
            calls: s.calls,
            costBefore: s.baseCost,
            costAfter: plan.cost,
          });
      }
    } catch (err) {
      error = errorMessage(err);
    } finally {
      await session.unhide(idx.oid).catch((err: unknown) => {
        error ??= `unhide failed: ${errorMessage(err)}`;
      });
    }
    if (error) {
      opts.logger.warn({ event: 'drop_analysis_failed', index: idx.name, error }, 'what-if drop failed');
      out.failed.push({ index: `${idx.schema}.${idx.name}`, error });
      continue;
    }
    slower.sort((a, b) => (b.costAfter - b.costBefore) * b.calls - (a.costAfter - a.costBefore) * a.calls);
    const replacedBy = replacements.size === 1 ? [...replacements][0]! : null;
    out.impacts.set(idx.oid, { costIncrease: Math.round(increase * 100) / 100, slowerStatements: slower, replacedBy });
    const stand = replacedBy ? byName(idx.tableOid, replacedBy) : undefined;
    if (!suspectOids.has(idx.oid) && slower.length === 0 && stand && !offered.has(stand.oid)) {
      out.notNeeded.push({ index: idx, replacedBy: stand });
      offered.add(idx.oid);
      keep.add(stand.oid);
    }
  }
  return out;
}
