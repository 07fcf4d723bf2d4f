import { type Database, quoteQualified } from '@voicehive/db-core';
import type { MaintenanceTask } from '../components/feature.js';

export interface AnalyzeStaleOptions {
  /** A table is stale when rows modified since its last ANALYZE exceed this fraction of its rows. Default 0.1. */
  modifiedFraction?: number;
  /** …and at least this many rows changed. Default 1,000. */
  minModifiedRows?: number;
  /** Tables analysed per run at most. Default 20. */
  maxTables?: number;
}

/** Tables whose planner statistics are stale: never analysed, or many rows changed since. */
export async function findStaleTables(db: Database, options: AnalyzeStaleOptions = {}, signal?: AbortSignal) {
  const res = await db.query<{
    schemaname: string;
    relname: string;
    n_mod_since_analyze: string;
    n_live_tup: string;
    never: boolean;
  }>(
    `SELECT schemaname, relname, n_mod_since_analyze, n_live_tup,
            (last_analyze IS NULL AND last_autoanalyze IS NULL) AS never
       FROM pg_stat_user_tables
      WHERE (last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup + n_mod_since_analyze > 0)
         OR (n_mod_since_analyze >= $1::bigint AND n_mod_since_analyze > $2::float8 * greatest(n_live_tup, 1))
      ORDER BY n_mod_since_analyze DESC
      LIMIT $3::int`,
    [options.minModifiedRows ?? 1_000, options.modifiedFraction ?? 0.1, options.maxTables ?? 20],
    { signal },
  );
  return res.rows.map((r) => ({
    schema: r.schemaname,
    table: r.relname,
    modifiedRows: Number(r.n_mod_since_analyze),
    neverAnalyzed: r.never,
  }));
}

export function analyzeStaleTablesTask(db: Database, options: AnalyzeStaleOptions = {}): MaintenanceTask {
  return {
    name: 'database.analyze-stale',
    minIntervalMs: 15 * 60_000,
    async run(signal) {
      const stale = await findStaleTables(db, options, signal);
      for (const t of stale) await db.query(`ANALYZE ${quoteQualified(t.schema, t.table)}`, [], { signal });
      return { analyzed: stale.map((t) => `${t.schema}.${t.table}`) };
    },
  };
}
