import type { AdvisorResult } from '../advisor/advisor.js';
import type { Capabilities } from '../monitor/capabilities.js';
import type { ResolvedOptions } from '../options.js';

/** The texts that say what a report could not see or do, and how to fix it. */
export const PSS_HOW_TO =
  "pg_stat_statements is not available: add it to shared_preload_libraries (postgresql.conf: shared_preload_libraries = 'pg_stat_statements', then restart) and run CREATE EXTENSION pg_stat_statements in this database. Query statistics, slow queries and index advice are missing from this report.";

export const READ_ALL_STATS_HOW_TO =
  'Without pg_read_all_stats (or pg_monitor) other roles\' statements show "<insufficient privilege>": GRANT pg_monitor TO this role.';

export function hypopgMissing(caps: Capabilities): string {
  return caps.hypopg.available
    ? 'hypopg is installed on the server but not created in this database: run CREATE EXTENSION hypopg (or pass createExtensions: true) to validate index advice with the planner; advice is heuristic (validated: false).'
    : `hypopg is not installed: index advice is heuristic (validated: false). Install hypopg on the server (Debian/Ubuntu: apt-get install postgresql-${caps.serverMajor}-hypopg; on a managed service, check its supported-extension list) and run CREATE EXTENSION hypopg.`;
}

export const QUALSTATS_NOT_CREATED =
  'pg_qualstats is preloaded but not created in this database: run CREATE EXTENSION pg_qualstats so index advice also uses the predicates seen at run time.';

export function dropAnalysisSkipped(caps: Capabilities, opts: ResolvedOptions): string {
  const hypopg = caps.hypopg.installed
    ? `hypopg ${caps.hypopg.version ?? '(unknown version)'} has no hypopg_hide_index, which needs hypopg 1.4 or newer (install a newer package, e.g. from apt.postgresql.org, then DROP EXTENSION hypopg; CREATE EXTENSION hypopg, which is safe as hypopg keeps no data)`
    : 'hypopg is not created in this database (hypopg_hide_index needs hypopg 1.4 or newer)';
  const catalog =
    opts.advisor.dropAnalysisMethod === 'hypopg'
      ? "dropAnalysisMethod is 'hypopg', so the rolled-back pg_index method is not used"
      : 'the rolled-back pg_index method needs a superuser on a writable primary';
  return `What-if drop analysis skipped: ${hypopg}, and ${catalog}; unused and duplicate indexes are reported from statistics only, without workloadCostIncreaseIfDropped.`;
}

/** Warnings from the advisor's own result: permissions, stale statistics, unparseable and failed statements. */
export function advisorWarnings(advisor: AdvisorResult): { warnings: string[]; denied: number } {
  const warnings: string[] = [];
  const denied = advisor.skipped.explainFailed.filter((f) => /permission denied/i.test(f.error)).length;
  if (denied > 0)
    warnings.push(
      `${denied} statement(s) could not be planned: permission denied. EXPLAIN needs SELECT on the tables; GRANT SELECT ON ALL TABLES IN SCHEMA … TO this role to get index advice and plan findings (pg_monitor alone does not allow it).`,
    );
  for (const t of advisor.staleStatistics)
    warnings.push(
      `Statistics of ${t.table} are stale (${t.modifiedSinceAnalyze} of ~${t.rows} rows modified since the last ANALYZE, ${t.lastAnalyzed ?? 'never analysed'}): run ANALYZE ${t.table} first, then ask for advice again; plans and index advice for it are computed from those statistics.`,
    );
  if (advisor.skipped.unparseable > 0)
    warnings.push(
      `${advisor.skipped.unparseable} statement(s) skipped: text could not be parsed or is hidden (<insufficient privilege>: GRANT pg_read_all_stats).`,
    );
  const failedOther = advisor.skipped.explainFailed.length - denied;
  if (failedOther > 0)
    warnings.push(`${failedOther} statement(s) failed EXPLAIN and were skipped (see advisor.skipped.explainFailed).`);
  return { warnings, denied };
}
