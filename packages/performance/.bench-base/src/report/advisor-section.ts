import { errorMessage } from '@voicehive/db-core';
import { type AdvisorResult, runAdvisor } from '../advisor/advisor.js';
import { PlanSession } from '../advisor/plan-session.js';
import { type QualstatsReading, readQualstats } from '../advisor/qualstats.js';
import { readSampledConstants, type SampledConstant } from '../advisor/sampled-values.js';
import { loadIndexDefinitions } from '../catalog/catalog.js';
import { workloadDuplicate } from '../health/indexes.js';
import type { StatementStats } from '../monitor/statements.js';
import type { CatalogSection } from './catalog.js';
import { type ReportContext, withSignal } from './context.js';
import type { AdvisorSummary } from './types.js';
import { advisorWarnings, dropAnalysisSkipped, hypopgMissing, QUALSTATS_NOT_CREATED } from './warnings.js';

/** The planning session for the advisor and the plan findings; undefined (with a warning) when it cannot open. */
export async function openPlanSession(ctx: ReportContext): Promise<PlanSession | undefined> {
  const { caps, opts } = ctx;
  try {
    return await PlanSession.open(ctx.db, {
      serverMajor: caps.serverMajor,
      timeoutMs: opts.advisor.explainTimeoutMs,
      hideIndexes: opts.advisor.dropAnalysis ? opts.advisor.dropAnalysisMethod : 'off',
      ...(caps.hypopg.installed && caps.hypopg.schema ? { hypopgSchema: caps.hypopg.schema } : {}),
    });
  } catch (err) {
    ctx.warnings.push(`Planning session: ${errorMessage(err)}`);
    return undefined;
  }
}

export interface AdvisorSection {
  advisor: AdvisorResult | undefined;
  summary: Omit<
    AdvisorSummary,
    | 'mode'
    | 'statementsAnalysed'
    | 'weightedBaselineCost'
    | 'weightedCostWithRecommendations'
    | 'skipped'
    | 'staleStatistics'
    | 'whatIfCalls'
    | 'durationMs'
  >;
  /** Whether the role could plan the workload (null: not known from this report). */
  canExplain: boolean | null;
}

export interface AdvisorInputs {
  qualstats: QualstatsReading | undefined;
  sampled: SampledConstant[] | undefined;
  /** Preloaded but no CREATE EXTENSION: worth a warning. */
  notCreated: boolean;
}

/** pg_qualstats' predicates and sampled constants, when it is installed, preloaded and enabled. */
export async function readAdvisorInputs(ctx: ReportContext): Promise<AdvisorInputs> {
  const { caps, opts, signal } = ctx;
  let qualstats: QualstatsReading | undefined;
  let sampled: SampledConstant[] | undefined;
  const qs = caps.pgQualstats;
  if (opts.advisor.useQualstats && qs.installed && qs.preloaded) {
    qualstats = await ctx.section(
      'pg_qualstats',
      () => readQualstats(ctx.runner, qs.schema ?? 'public', withSignal(signal)),
      undefined,
    );
    sampled = await ctx.section(
      'pg_qualstats_constants',
      () => readSampledConstants(ctx.runner, qs.schema ?? 'public', withSignal(signal)),
      undefined,
    );
  }
  return { qualstats, sampled, notCreated: opts.advisor.useQualstats && qs.preloaded && !qs.installed };
}

/**
 * Stage 4: pg_qualstats, the index advisor on the planning session, and what its what-if drops add to the
 * unused and duplicate indexes of the catalog stage (which it updates in place).
 */
// Long: pg_qualstats, the advisor and the merge of its drops into the catalog stage share the planning session.
export async function runAdvisorSection(
  ctx: ReportContext,
  input: {
    statements: StatementStats[];
    catalog: CatalogSection;
    session: PlanSession | undefined;
    /** From `readAdvisorInputs`, which may run while the catalog is read. */
    inputs: Promise<AdvisorInputs>;
  },
): Promise<AdvisorSection> {
  const { caps, opts, warnings, signal } = ctx;
  const { catalog, session } = input;
  const out: AdvisorSection = {
    advisor: undefined,
    summary: { qualstats: null, dropAnalysis: 'not-run', dropAnalysisMethod: null, dropAnalysisFailed: [] },
    canExplain: null,
  };
  if (!caps.hypopg.installed) warnings.push(hypopgMissing(caps));
  const { qualstats, sampled, notCreated } = await input.inputs;
  if (notCreated) warnings.push(QUALSTATS_NOT_CREATED);
  const { unusedIndexes, duplicateIndexes, indexes } = catalog;
  const dropCandidates = indexes.filter(
    (i) =>
      unusedIndexes.some((u) => u.index === i.name && u.schema === i.schema) ||
      duplicateIndexes.some((d) => d.index === i.name && d.schema === i.schema),
  );
  const advisor = await ctx.section(
    'index_advisor',
    () =>
      runAdvisor(input.statements, {
        db: ctx.runner,
        options: opts,
        logger: ctx.logger,
        tables: catalog.tables,
        indexes,
        session,
        dropCandidates,
        ...(qualstats ? { qualstats: qualstats.predicates } : {}),
        ...(sampled ? { sampledConstants: sampled } : {}),
        ...withSignal(signal),
        timings: ctx.timings,
      }),
    undefined,
  );
  out.advisor = advisor;
  if (!advisor) return out;
  if (advisor.qualstats && qualstats)
    out.summary.qualstats = { ...advisor.qualstats, sampleRate: qualstats.sampleRate };
  const { warnings: fromAdvisor, denied } = advisorWarnings(advisor);
  if (denied > 0) out.canExplain = false;
  else if (advisor.plans.size > 0) out.canExplain = true;
  const toDrop = unusedIndexes.length > 0 || duplicateIndexes.length > 0;
  if (advisor.drops) out.summary.dropAnalysis = 'done';
  else if (!opts.advisor.dropAnalysis) out.summary.dropAnalysis = 'off';
  else if (session) out.summary.dropAnalysis = 'unsupported';
  if (out.summary.dropAnalysis === 'unsupported' && toDrop) warnings.push(dropAnalysisSkipped(caps, opts));
  // Permission problems first, as before; then the advisor's other notes.
  warnings.push(...fromAdvisor);
  const drops = advisor.drops;
  if (drops) {
    out.summary.dropAnalysisMethod = drops.method;
    out.summary.dropAnalysisFailed = drops.failed;
    for (const entry of [...unusedIndexes, ...duplicateIndexes]) {
      const i = indexes.find((x) => x.name === entry.index && x.schema === entry.schema);
      const impact = i && drops.impacts.get(i.oid);
      if (!impact) continue;
      entry.workloadCostIncreaseIfDropped = impact.costIncrease;
      entry.slowerIfDropped = impact.slowerStatements;
    }
    if (drops.notNeeded.length > 0) {
      const named = drops.notNeeded.flatMap((n) => [n.index, n.replacedBy]);
      await ctx.section(
        'index_definitions',
        () => loadIndexDefinitions(ctx.runner, named, withSignal(signal)),
        undefined,
      );
      for (const { index, replacedBy } of drops.notNeeded) {
        const impact = drops.impacts.get(index.oid)!;
        duplicateIndexes.push({
          ...workloadDuplicate(index, replacedBy),
          workloadCostIncreaseIfDropped: impact.costIncrease,
          slowerIfDropped: impact.slowerStatements,
        });
      }
    }
  }
  return out;
}
