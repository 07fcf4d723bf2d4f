import type { DropAnalysis } from './drop-analysis.js';
import type { PlanNode } from './plan-session.js';
import type { StaleStatistics } from './stale-statistics.js';

/** What the advisor returns: a leaf module, so the stages that build it need not import the advisor. */

export interface AffectedQuery {
  queryHash: string;
  /** Normalised text, shortened. */
  query: string;
  calls: number;
  costBefore: number;
  /** Planner cost with all recommended indexes in place; null in heuristic mode. */
  costAfter: number | null;
  /** Values the statement was planned with (a custom plan), from pg_qualstats' samples; absent: generic plan. */
  assumedValues?: string[];
}

export interface IndexRecommendation {
  /** `schema.table`. */
  table: string;
  /** Key columns in order; a descending column reads `"started_at DESC"`, a pattern one `"email text_pattern_ops"`. */
  columns: string[];
  /** 1 high … 3 low, from the share of the workload's planner cost it removes. */
  priority: 1 | 2 | 3;
  /** CREATE INDEX CONCURRENTLY; for a partitioned table, the per-partition script (see evidence). */
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
  /** Rows the workload wrote that this index would take entries for (INSERTs, non-HOT UPDATEs). */
  writeRows?: number;
  /** Non-key columns stored in the index (`INCLUDE`) so the statements it serves need not read the table. */
  include?: string[];
  /** Access method when not B-tree. */
  method?: 'gin';
  /** When `validated` is false: why the planner could not cost it. */
  notValidatedBecause?: string;
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
  /**
   * Candidates that cannot be created, with the reason: an expression calling a function that is not
   * IMMUTABLE, or a definition hypopg/PostgreSQL refused.
   */
  refusedCandidates?: { index: string; reason: string }[];
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
  /** Tables of the workload whose planner statistics are stale: run ANALYZE on them before trusting the advice. */
  staleStatistics: StaleStatistics[];
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
