import { estimateBloat } from '../health/bloat.js';
import { readCacheHitRatio } from '../health/cache.js';
import { readConnections } from '../health/connections.js';
import { readSequences } from '../health/sequences.js';
import { readWraparound } from '../health/wraparound.js';
import { readActivity } from '../monitor/activity.js';
import { type ReportContext, withSignal } from './context.js';

export type HealthSection = Awaited<ReturnType<typeof readHealthSection>>;

/**
 * Stage 3: cache, connections, bloat, sequences, wraparound and live activity. Reads only the catalog and
 * statistics views, on the pool, so it runs while the advisor plans on its own session.
 */
export async function readHealthSection(ctx: ReportContext) {
  const { runner, caps, warnings } = ctx;
  const h = ctx.opts.health;
  const opt = withSignal(ctx.signal);
  const cacheHitRatio = await ctx.section(
    'cache_hit_ratio',
    () => readCacheHitRatio(runner, h.cacheHitRatioWarning, opt),
    null,
  );
  const connections = await ctx.section(
    'connections',
    () => readConnections(runner, h.connectionsWarningRatio, opt),
    null,
  );
  const bloat = await ctx.section('bloat', () => estimateBloat(runner, h.minBloatBytes, opt), null);
  if (bloat && bloat.skippedWithoutStats > 0 && bloat.estimates.length === 0 && !caps.superuser) {
    warnings.push(
      `Bloat estimates skipped for ${bloat.skippedWithoutStats} relation(s): pg_stats shows no statistics to this role (needs SELECT on the tables, or ANALYZE has not run).`,
    );
  }
  const sequences = await ctx.section('sequences', () => readSequences(runner, h.sequenceWarningRatio, opt), null);
  if (sequences && sequences.unreadable > 0) {
    warnings.push(
      `${sequences.unreadable} sequence(s) not readable: GRANT SELECT ON ALL SEQUENCES IN SCHEMA … (or USAGE) to check them for exhaustion.`,
    );
  }
  const wraparound = await ctx.section('wraparound', () => readWraparound(runner, h.wraparoundWarningAge, opt), null);
  const activity = await ctx.section('activity', () => readActivity(runner, h, opt), null);
  return { cacheHitRatio, connections, bloat, sequences, wraparound, activity };
}
