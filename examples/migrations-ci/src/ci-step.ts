import { DatabaseMigrationManager, formatFindingsHuman } from '@voicehive/db-migrations';

export interface CiStepOptions {
  databaseUrl: string;
  migrationsDir: string;
  /** Fail the step on lint errors. Default true. */
  failOnLintErrors?: boolean;
  /** Where the human report goes. Default: stderr. */
  write?: (text: string) => void;
}

export interface CiStepResult {
  exitCode: 0 | 1;
  applied: string[];
  lintErrors: number;
  errorMessage?: string;
}

/**
 * The migration step of a deploy pipeline: lint the pending migrations, then
 * apply them with `testFirst` — each is applied, rolled back and re-applied on
 * a scratch copy of the schema first, with its locks traced — and only then
 * against the real database. Any failure stops before the real database is
 * touched; the exit code fails the pipeline.
 */
export async function runCiStep(options: CiStepOptions): Promise<CiStepResult> {
  const write = options.write ?? ((t: string) => process.stderr.write(t));
  await using migrations = new DatabaseMigrationManager(options.databaseUrl, {
    migrationsDir: options.migrationsDir,
    failOnLintErrors: options.failOnLintErrors ?? true,
    actor: 'ci',
  });
  await migrations.initialize();
  const lint = await migrations.lint();
  if (lint.findings.length) write(`${formatFindingsHuman(lint.findings)}\n`);
  const run = await migrations.runMigration({ targetRevision: 'head', testFirst: true });
  if (!run.success) {
    write(`migrations failed: ${run.errorMessage}\n`);
    return { exitCode: 1, applied: run.applied, lintErrors: lint.summary.error, errorMessage: run.errorMessage };
  }
  write(`applied ${run.applied.length} migration(s) after testing them on a scratch copy\n`);
  return { exitCode: 0, applied: run.applied, lintErrors: lint.summary.error };
}
