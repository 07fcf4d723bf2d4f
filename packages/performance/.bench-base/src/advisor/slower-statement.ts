/** A statement whose plan gets costlier when an index is hidden (what-if drop); a leaf type both the
 * drop analysis and the index health checks use. */
export interface SlowerStatement {
  queryHash: string;
  query: string;
  calls: number;
  costBefore: number;
  /** Planner cost with the index hidden. */
  costAfter: number;
}
