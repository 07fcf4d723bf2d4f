import { throwIfAborted } from '@voicehive/db-core';
import {
  type DatabaseMigrationManager,
  describeLockWait,
  formatFindingsHuman,
  formatTestReportHuman,
  type ScratchData,
} from '@voicehive/db-migrations';
import {
  backupsForRestorePoint,
  type MigrationRestorePoint,
  NOTHING_PENDING,
  restorePointBeforeMigrations,
} from '../../components/restore-point-before-migrate.js';
import { commandConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatTable } from '../table.js';
import { ONLY, openFeature } from './require-feature.js';

async function open(ctx: CommandContext) {
  const dir = ctx.str('dir');
  const { suite, feature } = await openFeature<DatabaseMigrationManager>(ctx, 'migrations', {
    ...ONLY.migrations,
    migrationsEnabled: true,
    ...(dir ? { migrationsDir: dir } : {}),
  });
  return { suite, migrations: feature };
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

/** Every value of a repeatable flag; `--enable-rule a,b` counts as two. */
function ruleFlag(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  const list = v === undefined ? [] : Array.isArray(v) ? v : [String(v)];
  return list.flatMap((s) => s.split(',').map((id) => id.trim())).filter(Boolean);
}

export async function migrateLint(ctx: CommandContext): Promise<number> {
  const enabledRules = ruleFlag(ctx, 'enable-rule');
  const disabledRules = ruleFlag(ctx, 'disable-rule');
  const clash = enabledRules.filter((id) => disabledRules.includes(id));
  if (clash.length)
    throw new UsageError(`migrate lint: ${clash.join(', ')} given to both --enable-rule and --disable-rule`);
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  // On top of migrations.lint from the config: a flag wins over the config for the rule it names.
  const report = await migrations.lint({
    signal: ctx.signal,
    ...(enabledRules.length || disabledRules.length ? { overrides: { enabledRules, disabledRules } } : {}),
  });
  ctx.print(report.findings.length ? formatFindingsHuman(report.findings) : 'No findings.', report);
  return report.summary.error > 0 ? EXIT.FAILURE : EXIT.OK;
}

/** `--with-data` → 'auto'; `--sample-rows N` → N rows per table (implies --with-data); neither → schema only. */
function testData(ctx: CommandContext): ScratchData {
  const raw = ctx.str('sample-rows');
  if (raw !== undefined) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(
        `migrate test: --sample-rows must be a positive whole number of rows per table, got "${raw}"`,
      );
    return { sampleRows: n };
  }
  return ctx.values['with-data'] === true ? 'auto' : 'schema';
}

export async function migrateTest(ctx: CommandContext): Promise<number> {
  const data = testData(ctx);
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const report = await migrations.testMigrations({ signal: ctx.signal, data });
  ctx.print(formatTestReportHuman(report), report);
  return report.success ? EXIT.OK : EXIT.FAILURE;
}

export async function migrateUp(ctx: CommandContext): Promise<number> {
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  // With WAL archiving a restore point comes first. The suite above runs only migrations; the backup feature as
  // configured (ONLY.migrations switched it off in the suite's copy; commandConfig is the config as written) is
  // started only for the point.
  const { database, metrics, logger, audit } = suite;
  const config = {
    ...suite.config,
    backup: { ...suite.config.backup, enabled: commandConfig(ctx).config.backup.enabled },
  };
  const backups = await backupsForRestorePoint({ database, config, metrics, logger, audit, signal: ctx.signal });
  let restorePoint: MigrationRestorePoint;
  try {
    restorePoint = await restorePointBeforeMigrations({
      database,
      backups,
      pending: (await migrations.status({ signal: ctx.signal })).pending,
      signal: ctx.signal,
    });
  } finally {
    if (typeof backups !== 'string') await backups.close();
  }
  // On stderr in both modes (--json stays parseable): an operator must see that this run has no undo point, and why.
  if (restorePoint.created) ctx.io.stderr.write(`restore point ${restorePoint.name} (undo: ${restorePoint.undo})\n`);
  else if (restorePoint.reason !== NOTHING_PENDING) ctx.io.stderr.write(`no restore point: ${restorePoint.reason}\n`);
  const r = await migrations.runMigration({
    targetRevision: ctx.str('to') ?? 'head',
    ...(ctx.values['test-first'] !== undefined ? { testFirst: ctx.values['test-first'] === true } : {}),
    signal: ctx.signal,
    // A wait on a lock or old snapshots is shown as it happens (stderr, so --json stays parseable).
    onLockWait: (w) => ctx.io.stderr.write(`waiting: ${describeLockWait(w)}\n`),
  });
  const out = {
    success: r.success,
    applied: r.applied,
    durationMs: Math.round(r.durationMs),
    ...(r.errorMessage ? { errorMessage: r.errorMessage } : {}),
    report: r.report,
    restorePoint,
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

/**
 * Accepts the edited files of applied migrations: their recorded checksums
 * become those of the files now on disk. It rewrites history (a later deploy
 * no longer notices the edit), so it needs --yes; without it nothing changes
 * and the command says what it would repair.
 */
export async function migrateRepair(ctx: CommandContext): Promise<number> {
  const only = ctx.positionals[0];
  const { suite, migrations } = await open(ctx);
  await using _ = suite;
  const s = await migrations.status();
  if (only !== undefined && !s.applied.some((a) => a.name === only)) {
    throw new UsageError(
      `migrate repair: ${only} is not an applied migration (applied: ${s.applied.map((a) => a.name).join(', ') || 'none'})`,
    );
  }
  const targets = s.checksumMismatches.filter((name) => only === undefined || name === only);
  const missing = s.missingFiles.length
    ? `\nNot repairable (file missing; restore it from version control): ${s.missingFiles.join(', ')}`
    : '';
  if (targets.length === 0) {
    ctx.print(`Nothing to repair: ${only ?? 'every applied migration'} matches its recorded checksum.${missing}`, {
      repaired: [],
      missingFiles: s.missingFiles,
    });
    return EXIT.OK;
  }
  if (ctx.values['yes'] !== true) {
    throw new UsageError(
      `migrate repair rewrites the recorded checksums of ${targets.join(', ')} to accept their edited files; nothing was changed. Re-run with --yes if the edits are deliberate (schema changes belong in a new migration)`,
    );
  }
  const repaired: Array<{ name: string; previousChecksum: string; checksum: string }> = [];
  for (const name of targets) {
    throwIfAborted(ctx.signal, 'migrate repair');
    repaired.push(await migrations.repair(name));
  }
  const short = (c: string) => c.slice(0, 12);
  ctx.print(
    `Repaired ${repaired.length} migration(s):\n\n${formatTable(
      repaired.map((r) => ({ migration: r.name, checksum: `${short(r.previousChecksum)} → ${short(r.checksum)}` })),
    )}${missing}`,
    { repaired, missingFiles: s.missingFiles },
  );
  return EXIT.OK;
}
