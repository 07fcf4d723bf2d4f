import { type DatabaseMigrationManager, formatFindingsHuman } from '@voicehive/db-migrations';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';
import { formatFields, formatTable } from '../table.js';
import { ONLY, requireFeature } from './require-feature.js';

async function open(ctx: CommandContext) {
  const dir = ctx.str('dir');
  const suite = await ctx.openSuite({
    ...ONLY.migrations,
    migrationsEnabled: true,
    ...(dir ? { migrationsDir: dir } : {}),
  });
  return { suite, migrations: requireFeature<DatabaseMigrationManager>(suite, 'migrations') };
}

export async function migrateStatus(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const s = await migrations.status();
  const rows = [
    ...s.applied.map((a) => ({
      migration: a.name,
      state: a.checksumMatches === false ? 'applied (changed!)' : 'applied',
    })),
    ...s.pending.map((n) => ({ migration: n, state: 'pending' })),
  ];
  ctx.print(`Current: ${s.current ?? '(none)'}\n\n${formatTable(rows)}`, s);
  return s.checksumMismatches.length || s.missingFiles.length ? EXIT.FAILURE : EXIT.OK;
}

export async function migratePlan(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const plan = await migrations.plan({ ...(ctx.str('to') ? { targetRevision: ctx.str('to') } : {}) });
  ctx.print(
    `${formatTable(plan.migrations.map((m) => ({ ...m })))}${plan.blockers.length ? `\n\nBlockers:\n  ${plan.blockers.join('\n  ')}` : ''}`,
    plan,
  );
  return plan.blockers.length ? EXIT.FAILURE : EXIT.OK;
}

export async function migrateLint(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const report = await migrations.lint({ signal: ctx.signal });
  ctx.print(report.findings.length ? formatFindingsHuman(report.findings) : 'No findings.', report);
  return report.summary.error > 0 ? EXIT.FAILURE : EXIT.OK;
}

export async function migrateTest(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const report = await migrations.testMigrations({ signal: ctx.signal });
  ctx.print(
    formatFields({
      success: report.success,
      migrations: report.migrations.length,
      durationMs: Math.round(report.durationMs),
      scratchDropped: report.scratchDropped,
      error: report.errorMessage,
    }),
    report,
  );
  return report.success ? EXIT.OK : EXIT.FAILURE;
}

export async function migrateUp(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const r = await migrations.runMigration({
    targetRevision: ctx.str('to') ?? 'head',
    ...(ctx.values['test-first'] !== undefined ? { testFirst: ctx.values['test-first'] === true } : {}),
    signal: ctx.signal,
  });
  const out = {
    success: r.success,
    applied: r.applied,
    durationMs: Math.round(r.durationMs),
    ...(r.errorMessage ? { errorMessage: r.errorMessage } : {}),
    report: r.report,
  };
  ctx.print(
    r.success
      ? `Applied ${r.applied.length} migration(s)${r.applied.length ? `:\n  ${r.applied.join('\n  ')}` : ''}`
      : `Failed: ${r.errorMessage}`,
    out,
  );
  return r.success ? EXIT.OK : EXIT.FAILURE;
}

export async function migrateDown(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const to = ctx.str('to');
  const r = await migrations.rollback({
    ...(to !== undefined ? { to: to === '0' ? 0 : to } : { step: ctx.num('step') ?? 1 }),
    signal: ctx.signal,
  });
  ctx.print(
    r.success
      ? `Rolled back ${r.reverted.length} migration(s)${r.reverted.length ? `:\n  ${r.reverted.join('\n  ')}` : ''}${r.schemaCheck.checked && !r.schemaCheck.matches ? '\nWarning: the schema does not match the recorded snapshot.' : ''}`
      : `Failed: ${r.errorMessage}`,
    r,
  );
  return r.success ? EXIT.OK : EXIT.FAILURE;
}
