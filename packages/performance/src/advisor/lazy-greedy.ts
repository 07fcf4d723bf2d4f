import { throwIfAborted } from '@voicehive/db-core';
import type {
  ConfigBudget,
  ConfigCandidate,
  ConfigSelection,
  PlannedStatement,
  SelectionInput,
} from './configuration-types.js';
import { indexNamesInPlan, type PlanSession } from './plan-session.js';
import { whatIf } from './what-if-batch.js';

interface Valued {
  net: number;
  helped: string[];
}

type Ranked = { c: ConfigCandidate; v: Valued };

/**
 * The state of one lazy-greedy selection (see `selectUnderConfiguration` for what it does and how it saves
 * round trips): the running configuration, the latest cost of each choice per statement, when each was
 * planned, and the re-plans deferred.
 */
export class LazyGreedy {
  whatIfCalls = 0;
  readonly #session: PlanSession;
  readonly #budget: ConfigBudget;
  readonly #signal: AbortSignal | undefined;
  readonly #reuse: boolean;
  readonly #byId: Map<string, PlannedStatement>;
  /** Each statement's cost under the configuration chosen so far. */
  readonly #current: Map<string, number>;
  readonly #remaining: ConfigCandidate[];
  readonly #chosen: { c: ConfigCandidate; sel: ConfigSelection; oids: number[] }[] = [];
  readonly #config = new ConfigurationClock();
  /** The clock reading of each choice's statement when it was last planned with that choice (absent: 0). */
  readonly #plannedAt = new Map<ConfigCandidate, Map<string, number>>();
  /** Re-plans deferred, per choice, in the order the plain lazy greedy would have made them. */
  readonly #deferred = new Map<ConfigCandidate, Set<string>>();
  /**
   * Each choice's value, kept until its costs or the current cost of one of its statements change: the ranking
   * runs every round over every choice (a million valuations at 1,000 picks of 1,000 choices).
   */
  readonly #values = new Map<ConfigCandidate, Valued>();
  /** The choices whose value reads each statement. */
  readonly #byStatement = new Map<string, ConfigCandidate[]>();
  #usedBytes = 0;

  constructor(input: SelectionInput) {
    this.#session = input.session;
    this.#budget = input.budget;
    this.#signal = input.signal;
    this.#reuse = input.reuseCosts ?? true;
    this.#byId = new Map(input.statements.map((s) => [s.id, s]));
    this.#current = new Map(input.statements.map((s) => [s.id, s.baseCost]));
    this.#remaining = [...input.candidates];
    for (const c of this.#remaining)
      for (const id of new Set([...c.statements, ...c.costs.keys()]))
        (this.#byStatement.get(id) ?? this.#byStatement.set(id, []).get(id)!).push(c);
  }

  /** The picks in order (before dropping those another pick serves). */
  async select(): Promise<{ c: ConfigCandidate; sel: ConfigSelection }[]> {
    while (this.#chosen.length < this.#budget.maxIndexes && this.#remaining.length > 0) {
      throwIfAborted(this.#signal, 'index advice');
      const best = await this.#leader();
      if (!best) break;
      await this.#take(best);
    }
    if (this.#reuse) await this.#session.dropHeld();
    else for (const { oids } of this.#chosen) for (const oid of oids) await this.#session.dropHypothetical(oid);
    return this.#chosen;
  }

  /**
   * The choice to take this round: the ranking's leader, after re-valuing up to `recheck` leaders under the
   * current configuration (the first round's costs were planned under the empty configuration: none then).
   */
  async #leader(): Promise<Ranked | undefined> {
    let lead = await this.#settled();
    const checked = new Set<ConfigCandidate>();
    const recheck = this.#chosen.length === 0 ? 0 : (this.#budget.recheck ?? 3);
    while (lead) {
      if (checked.has(lead.c) || checked.size >= recheck) return lead;
      const { c } = lead;
      checked.add(c);
      const at = this.#plannedAt.get(c);
      const stale = this.#reuse
        ? c.statements.filter(
            (id) => this.#byId.has(id) && (at?.get(id) ?? 0) !== this.#config.reading(this.#byId.get(id)!),
          )
        : c.statements;
      // Nothing it plans reads a table that gained an index since: the plans, and so the ranking, stay the same.
      if (stale.length === 0) continue;
      await this.#replan([{ c, ids: stale }]);
      lead = await this.#settled();
    }
    return undefined;
  }

  #fits(c: ConfigCandidate): boolean {
    return this.#usedBytes + c.sizeBytes <= this.#budget.maxTotalBytes;
  }

  #value(c: ConfigCandidate, open?: Set<string>): Valued {
    if (open) return valueChoice({ c, byId: this.#byId, current: this.#current, budget: this.#budget, open });
    const known = this.#values.get(c);
    if (known) return known;
    const v = valueChoice({ c, byId: this.#byId, current: this.#current, budget: this.#budget });
    this.#values.set(c, v);
    return v;
  }

  #ranked(): { lead: Ranked; topNet: number } | undefined {
    return leadChoice(
      this.#remaining.filter((c) => this.#fits(c) && !this.#deferred.has(c)),
      (c) => this.#value(c),
    );
  }

  /** The leader among the choices with known costs, once no deferred choice could change who leads. */
  async #settled(): Promise<Ranked | undefined> {
    const ranked = this.#ranked();
    if (this.#deferred.size === 0) return ranked?.lead;
    const top = ranked?.topNet ?? 0;
    const bounded = [...this.#deferred].every(([c, ids]) => !this.#fits(c) || this.#value(c, ids).net < 0.95 * top);
    if (bounded) return ranked?.lead;
    await this.#planDeferred(() => true);
    return this.#ranked()?.lead;
  }

  /** Adds the choice to the configuration and re-values (or defers re-valuing) the choices sharing its statements. */
  async #take({ c, v }: Ranked): Promise<void> {
    // Deferred re-plans this pick would outdate: planned now, in the configuration they were deferred in.
    await this.#planDeferred((_, id) => this.#config.touches(c, this.#byId.get(id)!));
    const oids: number[] = [];
    for (const def of c.definitions) {
      if (this.#reuse) this.#session.holdLater(def);
      else oids.push((await this.#session.createHypothetical(def)).oid);
      this.whatIfCalls++;
    }
    this.#config.add(c);
    for (const id of v.helped) {
      this.#current.set(id, Math.min(this.#current.get(id)!, c.costs.get(id)!));
      for (const other of this.#byStatement.get(id) ?? []) this.#values.delete(other);
    }
    this.#chosen.push({ c, sel: { key: c.key, marginalBenefit: v.net, statements: v.helped }, oids });
    this.#usedBytes += c.sizeBytes;
    this.#remaining.splice(this.#remaining.indexOf(c), 1);
    // Choices that share the statements this one changed: their value under the new configuration.
    const changed = new Set(v.helped);
    const sharing = new Set(v.helped.flatMap((id) => this.#byStatement.get(id) ?? []));
    const affected = this.#remaining.flatMap((other) => {
      if (!sharing.has(other)) return [];
      const ids = other.statements.filter((id) => changed.has(id) && this.#byId.has(id));
      return ids.length > 0 ? [{ c: other, ids }] : [];
    });
    if (!this.#reuse) {
      if (affected.length > 0) await this.#replan(affected);
      return;
    }
    for (const { c: other, ids } of affected) {
      const set = this.#deferred.get(other) ?? this.#deferred.set(other, new Set()).get(other)!;
      for (const id of ids) set.add(id);
    }
  }

  async #planDeferred(which: (c: ConfigCandidate, id: string) => boolean): Promise<void> {
    const work: { c: ConfigCandidate; ids: string[] }[] = [];
    for (const [c, ids] of this.#deferred) {
      const due = [...ids].filter((id) => which(c, id));
      if (due.length === 0) continue;
      work.push({ c, ids: due });
      for (const id of due) ids.delete(id);
      if (ids.size === 0) this.#deferred.delete(c);
    }
    if (work.length > 0) await this.#replan(work);
  }

  /**
   * Plans each choice's statements with the configuration plus that choice (many choices per message); records
   * the cost of those whose plan uses one of its indexes, and when they were planned.
   */
  async #replan(work: { c: ConfigCandidate; ids: string[] }[]): Promise<void> {
    const byId = this.#byId;
    const jobs = work.map(({ c, ids }) => ({ c, ids: ids.filter((id) => byId.has(id)) }));
    const answers = await whatIf(
      this.#session,
      jobs.map(({ c, ids }) => ({
        definitions: c.definitions,
        statements: ids.map((id) => {
          const s = byId.get(id)!;
          return { text: s.text, paramCount: s.paramCount, ...(s.values ? { values: s.values } : {}) };
        }),
      })),
      this.#signal,
    );
    jobs.forEach(({ c, ids }, i) => {
      this.#values.delete(c);
      const answer = answers[i]!;
      const at = this.#plannedAt.get(c) ?? this.#plannedAt.set(c, new Map()).get(c)!;
      for (const id of ids) at.set(id, this.#config.reading(byId.get(id)!));
      if (answer.refused) {
        for (const id of ids) c.costs.delete(id);
        return;
      }
      this.whatIfCalls += answer.created.length + ids.length;
      const names = new Set(answer.created.map((h) => h.name));
      ids.forEach((id, k) => {
        const out = answer.outcomes[k]!;
        const uses = out.ok && [...indexNamesInPlan(out.plan)].some((n) => names.has(n));
        if (out.ok && uses) c.costs.set(id, out.cost);
        else c.costs.delete(id);
      });
    });
  }
}

/**
 * Which chosen indexes each statement's plan can see, as a number that changes exactly when that set does: a
 * statement whose tables are all known changes with picks on those tables, any other with every pick.
 */
class ConfigurationClock {
  readonly #perTable = new Map<number, number>();
  /** Picks whose table is not known (they count for every statement). */
  #anywhere = 0;
  #picks = 0;

  add(c: Pick<ConfigCandidate, 'tableOid'>): void {
    this.#picks++;
    if (c.tableOid === undefined) this.#anywhere++;
    else this.#perTable.set(c.tableOid, (this.#perTable.get(c.tableOid) ?? 0) + 1);
  }

  reading(s: PlannedStatement): number {
    if (!bounded(s)) return this.#picks;
    let sum = this.#anywhere;
    for (const t of s.tables!) sum += this.#perTable.get(t) ?? 0;
    return sum;
  }

  touches(c: Pick<ConfigCandidate, 'tableOid'>, s: PlannedStatement): boolean {
    return !bounded(s) || c.tableOid === undefined || s.tables!.has(c.tableOid);
  }
}

const bounded = (s: PlannedStatement): boolean => !s.otherRelations && s.tables !== undefined && s.tables.size > 0;

/**
 * A choice's saving under the current configuration: each statement it serves well enough, at its latest known
 * cost. The statements in `open` count at cost 0, the bound on what re-planning them could give.
 */
function valueChoice(input: {
  c: ConfigCandidate;
  byId: Map<string, PlannedStatement>;
  current: Map<string, number>;
  budget: ConfigBudget;
  open?: Set<string> | undefined;
}): Valued {
  const { c, byId, current, budget, open } = input;
  const min = c.minImprovement ?? budget.minStatementImprovement;
  let gain = 0;
  const helped: string[] = [];
  const ids = open ? new Set([...c.costs.keys(), ...open]) : c.costs.keys();
  for (const id of ids) {
    const s = byId.get(id);
    if (!s) continue;
    const cost = open?.has(id) ? 0 : c.costs.get(id)!;
    const now = current.get(id)!;
    const enough = cost <= s.baseCost * (1 - min) && s.baseCost - cost >= budget.minSavingPerCall;
    // Against what the configuration already gives it, too: a second index that shaves a few percent off a
    // statement the first one already serves is not worth its upkeep.
    const further = now - cost >= min * now;
    if (enough && further && cost < now) {
      gain += (now - cost) * s.weight;
      helped.push(id);
    }
  }
  return { net: gain - c.writePenalty, helped };
}

/**
 * The choice to take first among those with a positive saving, and the best saving. Within 2% the planner's
 * estimates do not tell choices apart: the one serving more statements, then the smaller (a partial index over
 * the rare rows beats the full composite it matches), then the larger saving, then the earlier. Only choices
 * within 5% of the best saving can lead, which lets the selection defer re-plans of choices that cannot come
 * that close. Linear passes, no sorting: it runs every round over every remaining choice.
 */
function leadChoice(
  choices: ConfigCandidate[],
  value: (c: ConfigCandidate) => Valued,
): { lead: Ranked; topNet: number } | undefined {
  let top: Ranked | undefined;
  for (const c of choices) {
    const v = value(c);
    if (v.net > 0 && (!top || v.net > top.v.net)) top = { c, v };
  }
  if (!top) return undefined;
  const topNet = top.v.net;
  let lead = top;
  for (const c of choices) {
    const v = value(c);
    if (v.net < 0.98 * topNet) continue;
    const h = v.helped.length - lead.v.helped.length;
    const size = c.sizeBytes - lead.c.sizeBytes;
    if (h > 0 || (h === 0 && (size < 0 || (size === 0 && v.net > lead.v.net)))) lead = { c, v };
  }
  // A tenth of the size (a partial index over the rare rows) for at most 5% less saving: planner costs do not
  // separate them that finely, and the small one costs a tenth to cache and to keep up.
  let compact: Ranked | undefined;
  for (const c of choices) {
    const v = value(c);
    if (v.net < 0.95 * topNet || c.sizeBytes * 10 > lead.c.sizeBytes) continue;
    if (!compact || c.sizeBytes < compact.c.sizeBytes || (c.sizeBytes === compact.c.sizeBytes && v.net > compact.v.net))
      compact = { c, v };
  }
  return { lead: compact ?? lead, topNet };
}
