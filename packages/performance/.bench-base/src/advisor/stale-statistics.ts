import type { TableInfo } from '../catalog/catalog.js';

export interface StaleStatistics {
  /** `schema.table`. */
  table: string;
  /** Rows inserted, updated or deleted since the last ANALYZE. */
  modifiedSinceAnalyze: number;
  /** Estimated rows now. */
  rows: number;
  /** Last ANALYZE or autoanalyze; null when none since the statistics reset. */
  lastAnalyzed: string | null;
}

/**
 * Tables whose planner statistics no longer describe them: more rows modified since the last ANALYZE than
 * `ratio` of the table (autovacuum re-analyses at 10% plus 50 rows by default, so twice that means it has
 * fallen behind or is off), or rows present and never analysed. Advice planned on such statistics is wrong
 * either way (an old `n_distinct = 1` hides every index), so it says to ANALYZE first.
 */
export function findStaleStatistics(tables: TableInfo[], ratio = 0.2, minRows = 1000): StaleStatistics[] {
  const out: StaleStatistics[] = [];
  for (const t of tables) {
    const rows = Math.max(t.reltuples, t.nLiveTup);
    const modified = t.modSinceAnalyze ?? 0;
    if (t.partitioned) continue;
    const neverAnalysed = t.lastAnalyzed === null && t.nLiveTup >= minRows;
    if (neverAnalysed || (modified >= minRows && modified > ratio * rows)) {
      out.push({
        table: `${t.schema}.${t.name}`,
        modifiedSinceAnalyze: modified,
        rows: Math.round(rows),
        lastAnalyzed: t.lastAnalyzed ?? null,
      });
    }
  }
  return out;
}
