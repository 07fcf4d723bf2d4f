// The selection's inputs and outputs, shared by configuration.ts (its entry) and lazy-greedy.ts (its state).

import type { PlanSession } from './plan-session.js';

/** A statement the selection can re-plan. */
export interface PlannedStatement {
  id: string;
  weight: number;
  baseCost: number;
  text: string;
  paramCount: number;
  /** Literals for a custom plan (see PlanSession.explain). */
  values?: (string | null)[];
  /** Tables (oids) it reads: a pick on another table cannot change its plan, so its costs are reused. */
  tables?: Set<number>;
  /**
   * Its plan reads relations outside `tables` (a view's tables, a partition): an index on any table may change
   * its plan, so the selection re-plans it after every pick rather than only after picks on `tables`.
   */
  otherRelations?: boolean;
}

/**
 * One choice for the selection: usually one index, or several that only pay together (one per column of an
 * `a = $1 OR b = $2`, which the planner combines with a BitmapOr).
 */
export interface ConfigCandidate {
  key: string;
  tableKey: string;
  /** The table's oid: statements not reading it keep their costs when this is picked. */
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

/** What selectUnderConfiguration() works from; the lazy greedy keeps it as its state. */
export interface SelectionInput {
  session: PlanSession;
  statements: PlannedStatement[];
  candidates: ConfigCandidate[];
  budget: ConfigBudget;
  signal?: AbortSignal;
  /** false: plan every re-check and every pick's re-plans at once, as the plain lazy greedy does. Default true. */
  reuseCosts?: boolean;
}
