import { getServerVersion, throwIfAborted } from '@voicehive/db-core';
import { loadLintCatalog } from '../lint/catalog.js';
import { summarize } from '../lint/format.js';
import { lintMigrations } from '../lint/lint-migrations.js';
import type { NormalizedLintRuleOptions } from '../lint/rule-selection.js';
import type { LintCatalog, LintFinding, LintRuleOptions } from '../lint/types.js';
import { type CaptureInfo, captureMigrationSql } from '../runner/capture-sql.js';
import type { MigrationSource } from '../sources/types.js';
import type { OperationContext } from './context.js';

export interface LintReport {
  findings: LintFinding[];
  summary: Record<'error' | 'warning' | 'info', number>;
  /** TS/JS migrations whose SQL could not be captured fully. */
  captureErrors: Array<{ migration: string; error: string }>;
  /** Where TS/JS migrations were executed to capture their SQL (a scratch copy, or the live database rolled back). */
  capture: CaptureInfo;
}

export interface LintCallOptions {
  /** `'head'` (default) or the last pending migration to lint. */
  targetRevision?: string;
  /** Rule selection for this call, on top of the manager's `lint` option. Default none. */
  overrides?: LintRuleOptions;
  signal?: AbortSignal;
}

/** Server version, session TimeZone, live catalog and the captured SQL of TS/JS migrations, read together. */
async function lintInputs(ctx: OperationContext, pending: MigrationSource[], signal: AbortSignal | undefined) {
  const opt = signal ? { signal } : {};
  return Promise.all([
    getServerVersion(ctx.db),
    // The migrating session connects with the same settings, so it sees the same TimeZone (timestamp ↔ timestamptz)
    // and the same search_path: unqualified names resolve to its current schema, not to the log's schema.
    ctx.db
      .query<{ tz: string; schema: string | null }>(
        `SELECT current_setting('TimeZone') AS tz, current_schema() AS schema`,
        [],
        opt,
      )
      .then((r) => r.rows[0])
      .catch(() => undefined),
    loadLintCatalog(ctx.db, opt).catch((err): LintCatalog => {
      ctx.logger.warn({ event: 'lint_catalog_unavailable', err }, 'linting without the live catalog');
      return { notNullChecks: [] };
    }),
    captureMigrationSql(ctx.db, pending, {
      target: ctx.opts.lintCapture ?? 'prefer-scratch',
      ...(ctx.opts.testOptions?.binDir ? { binDir: ctx.opts.testOptions.binDir } : {}),
      ...opt,
    }),
  ] as const);
}

/** Lints `pending` as one sequence with the live catalog and server version, under `rules`. */
export async function lintPending(
  ctx: OperationContext,
  pending: MigrationSource[],
  signal?: AbortSignal,
  rules: NormalizedLintRuleOptions = ctx.lintRules,
): Promise<LintReport> {
  throwIfAborted(signal, 'lint');
  const [version, session, catalog, { migrations: captured, capture }] = await lintInputs(ctx, pending, signal);
  if (capture.scratchError) {
    ctx.logger.warn(
      { event: 'lint_capture_live', reason: capture.scratchError },
      'no scratch copy for the lint capture; executed the TS/JS migrations on the live database, rolled back',
    );
  }
  const findings = await lintMigrations(captured, {
    serverVersion: version.num,
    catalog,
    lockTimeoutManaged: true,
    statementTimeoutManaged: (ctx.opts.statementTimeoutMs ?? 0) > 0,
    ...(session?.tz ? { timeZone: session.tz } : {}),
    ...(session?.schema ? { defaultSchema: session.schema } : {}),
    ...rules,
  });
  return {
    findings,
    summary: summarize(findings),
    captureErrors: captured.filter((c) => c.captureError).map((c) => ({ migration: c.name, error: c.captureError! })),
    capture,
  };
}
