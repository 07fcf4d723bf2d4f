import type {
  ConfigBudget,
  ConfigCandidate,
  ConfigOutcome,
  PlannedStatement,
  SelectionInput,
} from './configuration-types.js';
import { LazyGreedy } from './lazy-greedy.js';
import type { PlanSession } from './plan-session.js';

export type {
  ConfigBudget,
  ConfigCandidate,
  ConfigOutcome,
  ConfigSelection,
  PlannedStatement,
} from './configuration-types.js';

/**
 * Greedy selection that values every choice under the whole configuration chosen so far plus that choice:
 * hypopg keeps the chosen indexes in place while a candidate is added, so a statement joining two tables is
 * costed with both indexes at once. An index that only pays together with one chosen earlier (the inner side
 * of a join once the outer side is indexed) shows its gain in the round after; the choices sharing statements
 * with the latest pick are re-planned for those statements. A round re-values its leading choices before
 * taking one (lazy greedy): estimates from earlier configurations can only be checked by planning again.
 *
 * Round trips (`reuseCosts`, the default): the picks are those of the plain lazy greedy (`reuseCosts: false`,
 * kept as the reference the tests compare against), with less planning:
 * - a re-check plans only the statements whose tables gained a chosen index since they were last planned with
 *   that choice: the others' plans cannot differ (the planner sees the same indexes on what they read);
 * - the re-plans a pick calls for are deferred while no ranking depends on them: a deferred choice's saving is
 *   bounded by the cost its statements have now (a plan costs at least 0), and while that bound stays under the
 *   margin within which the ranking compares (95% of the leading saving) it cannot change which choice leads.
 *   They are planned together, in few messages, once a bound reaches that margin, and before a pick would
 *   change what their statements read (so they are planned under the configuration they were deferred in);
 * - the picks' hypothetical indexes are created at the head of the next message that plans, and dropped in one.
 */
export async function selectUnderConfiguration(input: SelectionInput): Promise<ConfigOutcome> {
  const run = new LazyGreedy(input);
  const chosen = await run.select();
  const selection = chosen
    .filter(
      ({ c }) =>
        !servedByAnother(
          c,
          chosen.map((x) => x.c),
        ),
    )
    .map((x) => x.sel);
  return { selection, whatIfCalls: run.whatIfCalls };
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
