import type { HideMethod } from '../advisor/plan-session.js';
import type { AdvisorResult, IndexRecommendation } from '../advisor/result.js';
import type { QueryFinding } from '../analysis/plan-findings.js';
import type { BloatReport } from '../health/bloat.js';
import type { CacheHitRatio } from '../health/cache.js';
import type { ConnectionsReport } from '../health/connections.js';
import type { DuplicateIndex, InvalidIndex, MissingFkIndex, UnusedIndex } from '../health/indexes.js';
import type { SeqScanHeavyTable } from '../health/seq-scan.js';
import type { SequencesReport } from '../health/sequences.js';
import type { WraparoundReport } from '../health/wraparound.js';
import type { ActivityReport } from '../monitor/activity.js';
import type { Capabilities } from '../monitor/capabilities.js';
import type { PgBouncerSnapshot } from '../pgbouncer/admin.js';
import type { PoolAdvice } from '../pgbouncer/advice.js';

/** The report's shapes: a leaf module, so the report's stages and the store need not import the optimizer. */

export interface QuerySummary {
  queryHash: string;
  /** Normalised: every literal replaced by $n. */
  query: string;
  calls: number;
  totalTimeMs: number;
  meanTimeMs: number;
  maxTimeMs: number;
  rows: number;
  /** shared_buffers hit ratio of this statement; null before any block access. */
  cacheHitRatio: number | null;
  tempBlksWritten: number;
}

export interface SlowQuery extends QuerySummary {
  severity: 'warning' | 'critical';
  table: string | null;
}

export interface AdvisorSummary {
  mode: AdvisorResult['mode'] | 'unavailable';
  statementsAnalysed: number;
  weightedBaselineCost: number | null;
  weightedCostWithRecommendations: number | null;
  skipped: AdvisorResult['skipped'];
  /** Tables of the workload whose statistics are stale: ANALYZE them before acting on the advice. */
  staleStatistics: AdvisorResult['staleStatistics'];
  /**
   * pg_qualstats' part: predicates read, statements they matched, column uses they added, and the sample rate
   * in force; null when pg_qualstats was not read.
   */
  qualstats: (NonNullable<AdvisorResult['qualstats']> & { sampleRate: number | null }) | null;
  /**
   * What-if drop analysis of unused and redundant indexes: `done`, `unsupported` (no hypopg_hide_index, which
   * needs hypopg 1.4, and the role is not a superuser on a primary, or `dropAnalysisMethod: 'hypopg'`), `off`
   * (option), or `not-run` (the advisor could not plan).
   */
  dropAnalysis: 'done' | 'unsupported' | 'off' | 'not-run';
  /** How indexes were hidden when `dropAnalysis` is `done`. */
  dropAnalysisMethod: HideMethod | null;
  /** Indexes whose what-if drop failed, with the reason; they carry no `workloadCostIncreaseIfDropped`. */
  dropAnalysisFailed: { index: string; error: string }[];
  whatIfCalls: number;
  durationMs: number;
}

export interface PerformanceReport {
  slowQueries: SlowQuery[];
  topQueries: QuerySummary[];
  indexRecommendations: IndexRecommendation[];
  unusedIndexes: UnusedIndex[];
  duplicateIndexes: DuplicateIndex[];
  invalidIndexes: InvalidIndex[];
  missingFkIndexes: MissingFkIndex[];
  cacheHitRatio: CacheHitRatio | null;
  connections: ConnectionsReport | null;
  bloat: BloatReport | null;
  sequences: SequencesReport | null;
  wraparound: WraparoundReport | null;
  seqScanHeavyTables: SeqScanHeavyTable[];
  queryFindings: QueryFinding[];
  activity: ActivityReport | null;
  /** Present when a PgBouncer admin URL is configured; `error` when it could not be read. */
  pgbouncer: { snapshot: PgBouncerSnapshot | null; advice: PoolAdvice[]; error?: string } | null;
  advisor: AdvisorSummary;
  /** What could not be seen or done, each with how to fix it. */
  warnings: string[];
  capabilities: Capabilities;
  /** SQL round trips this report made (pool + planning session). */
  roundTrips: number;
  /** Milliseconds per report section, for finding what is slow on a large catalog. */
  timings: Record<string, number>;
  generatedAt: string;
}
