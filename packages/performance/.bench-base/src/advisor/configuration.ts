import { throwIfAborted } from '@voicehive/db-core';
import { indexNamesInPlan, type PlanSession } from './plan-session.js';
import { whatIf } from './what-if-batch.js';

/** A statement the selection can re-plan. */
export interface PlannedStatement {
  id: string;
  weight: number;
  baseCost: number;
  text: string;
  paramCount: number;
  /** Literals for a custom plan (see PlanSession.explain). */
  values?: (string | null)[];
  /** Tables (oids) it reads: lets re-plans of choices on other tables share a round trip. */
  tables?: Set<number>;
}

/**
 * One choice for the selection: usually one index, or several that only pay together (one per column of an
 * `a = $1 OR b = $2`, which the planner combines with a BitmapOr).
 */
export interface ConfigCandidate {
  key: string;
  tableKey: string;
  /** The table's oid: lets re-plans of choices on other tables share a round trip. */
  tableOid?: number;
  /** hypopg definitions (CREATE INDEX without CONCURRENTLY), one per index of the choice. */
  definitions: string[];
  /** Key columns of a single-index choice, to drop a chosen index another chosen one starts with. */
  columns: string[];
  /** INCLUDE columns of a single-index choice. */
  include?: string[];
  sizeBytes: number;
  writePenalty: number;
  /** Statements on its table(s): the ones re-planned when it is valued. */
  statements: string[];
  /** Overrides the budget's minStatementImprovement. */
  minImprovement?: number;
  /** Latest known cost of each statement with this choice added to the configuration of that moment. */
  costs: Map<string, number>;
}

export interface ConfigBudget {
  maxIndexes: number;
  maxTotalBytes: number;
  minStatementImprovement: number;
  minSavingPerCall: number;
  /** How many top choices a round re-values under the current configuration before taking the best. Default 3. */
  recheck?: number;
}

export interface ConfigSelection {
  key: string;
  marginalBenefit: number;
  statements: string[];
}

export interface ConfigOutcome {
  selection: ConfigSelection[];
  whatIfCalls: number;
}

interface Valued {
  net: number;
  helped: string[];
}

/**
 * Greedy selection that values every choice under the whole configuration chosen so far plus that choice:
 * hypopg keeps the chosen indexes in place while a candidate is added, so a statement joining two tables is
 * costed with both indexes at once. An index that only pays together with one chosen earlier (the inner side
 * of a join once the outer side is indexed) shows its gain in the round after; the choices sharing statements
 * with the latest pick are re-planned for those statements. A round re-values its leading choices before
 * taking one (lazy greedy): estimates from earlier configurations can only be checked by planning again.
 */
// Long: the lazy-greedy loop; its rounds share the plan cache and the running configuration.
export async function selectUnderConfiguration(input: {
  session: PlanSession;
  statements: PlannedStatement[];
  candidates: ConfigCandidate[];
  budget: ConfigBudget;
  signal?: AbortSignal;
}): Promise<ConfigOutcome> {
  const { session, budget, signal } = input;
  const byId = new Map(input.statements.map((s) => [s.id, s]));
  const current = new Map(input.statements.map((s) => [s.id, s.baseCost]));
  const remaining = [...input.candidates];
  const chosen: { c: ConfigCandidate; sel: ConfigSelection; oids: number[] }[] = [];
  let usedBytes = 0;
  let whatIfCalls = 0;

  const value = (c: ConfigCandidate): Valued => {
    let gain = 0;
    const helped: string[] = [];
    for (const [id, cost] of c.costs) {
      const s = byId.get(id);
      if (!s) continue;
      const now = current.get(id)!;
      const enough =
        cost <= s.baseCost * (1 - (c.minImprovement ?? budget.minStatementImprovement)) &&
        s.baseCost - cost >= budget.minSavingPerCall;
      // Against what the configuration already gives it, too: a second index that shaves a few percent off a
      // statement the first one already serves is not worth its upkeep.
      const further = now - cost >= (c.minImprovement ?? budget.minStatementImprovement) * now;
      if (enough && further && cost < now) {
        gain += (now - cost) * s.weight;
        helped.push(id);
      }
    }
    return { net: gain - c.writePenalty, helped };
  };

  /**
   * Plans each choice's statements with the configuration plus that choice (choices on unrelated tables in one
   * round trip); records the cost of those whose plan uses one of its indexes.
   */
  const replan = async (work: { c: ConfigCandidate; ids: string[] }[]): Promise<void> => {
    const jobs = work.map(({ c, ids }) => ({ c, ids: ids.filter((id) => byId.has(id)) }));
    const answers = await whatIf(
      session,
      jobs.map(({ c, ids }) => ({
        definitions: c.definitions,
        statements: ids.map((id) => {
          const s = byId.get(id)!;
          return { text: s.text, paramCount: s.paramCount, ...(s.values ? { values: s.values } : {}) };
        }),
        indexTables: new Set(c.tableOid === undefined ? [] : [c.tableOid]),
        statementTables: ids.map((id) => byId.get(id)!.tables ?? new Set<number>()),
      })),
      signal,
    );
    jobs.forEach(({ c, ids }, i) => {
      const answer = answers[i]!;
      if (answer.refused) {
        for (const id of ids) c.costs.delete(id);
        return;
      }
      whatIfCalls += answer.created.length + ids.length;
      const names = new Set(answer.created.map((h) => h.name));
      ids.forEach((id, k) => {
        const out = answer.outcomes[k]!;
        const uses = out.ok && [...indexNamesInPlan(out.plan)].some((n) => names.has(n));
        if (out.ok && uses) c.costs.set(id, out.cost);
        else c.costs.delete(id);
      });
    });
  };

  while (chosen.length < budget.maxIndexes && remaining.length > 0) {
    throwIfAborted(signal, 'index advice');
    const fits = (c: ConfigCandidate) => usedBytes + c.sizeBytes <= budget.maxTotalBytes;
    // Within 2% the planner's estimates do not tell choices apart: the one serving more statements, then the
    // smaller (a partial index over the rare rows beats the full composite it matches) comes first.
    const ranked = (): { c: ConfigCandidate; v: Valued }[] => {
      const all = remaining
        .filter(fits)
        .map((c) => ({ c, v: value(c) }))
        .filter((x) => x.v.net > 0)
        .sort((a, b) => b.v.net - a.v.net);
      const top = all[0];
      if (!top) return all;
      const close = all.filter((x) => x.v.net >= 0.98 * top.v.net);
      let lead = close.reduce((b, x) =>
        x.v.helped.length > b.v.helped.length ||
        (x.v.helped.length === b.v.helped.length && x.c.sizeBytes < b.c.sizeBytes)
          ? x
          : b,
      );
      // A tenth of the size (a partial index over the rare rows) for at most 5% less saving: planner costs do not
      // separate them that finely, and the small one costs a tenth to cache and to keep up.
      const compact = all
        .filter((x) => x.v.net >= 0.95 * top.v.net && x.c.sizeBytes * 10 <= lead.c.sizeBytes)
        .sort((a, b) => a.c.sizeBytes - b.c.sizeBytes)[0];
      if (compact) lead = compact;
      return [lead, ...all.filter((x) => x !== lead)];
    };
    let order = ranked();
    let best: { c: ConfigCandidate; v: Valued } | undefined;
    const checked = new Set<ConfigCandidate>();
    // The first round's costs were planned under the empty configuration: no recheck needed.
    const recheck = chosen.length === 0 ? 0 : (budget.recheck ?? 3);
    while (order.length > 0) {
      const top = order[0]!;
      if (checked.has(top.c) || checked.size >= recheck) {
        best = top;
        break;
      }
      checked.add(top.c);
      await replan([{ c: top.c, ids: top.c.statements }]);
      order = ranked();
    }
    if (!best) break;
    const { c, v } = best;
    const oids: number[] = [];
    for (const def of c.definitions) {
      oids.push((await session.createHypothetical(def)).oid);
      whatIfCalls++;
    }
    for (const id of v.helped) current.set(id, Math.min(current.get(id)!, c.costs.get(id)!));
    chosen.push({ c, sel: { key: c.key, marginalBenefit: v.net, statements: v.helped }, oids });
    usedBytes += c.sizeBytes;
    remaining.splice(remaining.indexOf(c), 1);
    // Choices that share the statements this one changed: their value under the new configuration.
    const changed = new Set(v.helped);
    const affected = remaining.flatMap((other) => {
      const ids = other.statements.filter((id) => changed.has(id));
      return ids.length > 0 ? [{ c: other, ids }] : [];
    });
    if (affected.length > 0) await replan(affected);
  }
  for (const { oids } of chosen) for (const oid of oids) await session.dropHypothetical(oid);

  const selection = chosen
    .filter(
      ({ c }) =>
        !servedByAnother(
          c,
          chosen.map((x) => x.c),
        ),
    )
    .map((x) => x.sel);
  return { selection, whatIfCalls };
}

/**
 * A single index another chosen single index on the same table serves: its key columns lead the other's, and
 * the other has more key columns or the same keys with more INCLUDE columns (the bench's hotel workload got
 * `(hotel_id, started_at)` beside `(hotel_id, started_at) INCLUDE (duration_seconds)`).
 */
export function servedByAnother(
  c: Pick<ConfigCandidate, 'tableKey' | 'definitions' | 'columns' | 'include'>,
  all: Pick<ConfigCandidate, 'tableKey' | 'definitions' | 'columns' | 'include'>[],
): boolean {
  const inc = c.include ?? [];
  return all.some((o) => {
    if (o === c || o.tableKey !== c.tableKey || c.definitions.length !== 1 || o.definitions.length !== 1) return false;
    if (c.columns.length === 0 || !c.columns.every((col, i) => o.columns[i] === col)) return false;
    if (o.columns.length > c.columns.length) return true;
    const oInc = o.include ?? [];
    return o.columns.length === c.columns.length && oInc.length > inc.length && inc.every((x) => oInc.includes(x));
  });
}
