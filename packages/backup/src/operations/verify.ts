import { tmpdir } from 'node:os';
import { abortError, createDatabase, type Database, DbrsError, errorMessage, isDbrsError } from '@voicehive/db-core';
import { assertBackupId } from '../catalog/backup-id.js';
import type { BackupManifest, VerificationRecord } from '../catalog/manifest.js';
import { BackupType, type ProgressEvent, type ProgressStep } from '../kinds.js';
import { type PhysicalLayout, physicalLayout } from '../restore/combine.js';
import { objectOpener } from '../restore/fetch.js';
import type { RestoreProgress } from '../restore/logical-restore.js';
import { verifyChecksums } from '../verify/checksum.js';
import { physicalRestoreTest } from '../verify/physical-restore-test.js';
import { verifyReadable } from '../verify/readable.js';
import { restoreTest } from '../verify/restore-test.js';
import { type OperationContext, type ProgressDetail, progressReporter, toolLocator } from './context.js';

export interface VerifyOptions {
  /**
   * 1 checksums, 2 readable by the tools, 3 restore test. Default 2 (3 with
   * restoreTest). Levels 2 and 3 of an incremental physical backup combine
   * its chain with pg_combinebackup (17+) first; a parent gone or no such
   * tool throws (NOT_FOUND / TOOL_MISSING) and records no verdict.
   */
  level?: 1 | 2 | 3;
  /** Same as level 3. */
  restoreTest?: boolean;
  /** Server for the scratch database. Default: config.verifyServerUrl, else the backed-up server. */
  verifyServerUrl?: string;
  /** pg_restore jobs in the restore test. Default 1. */
  jobs?: number;
  /** Physical level 3: how long the restored server may take to recover and accept connections, in ms. Default 600000. */
  recoveryTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface VerifyResult {
  backupId: string;
  database: string;
  level: 1 | 2 | 3;
  ok: boolean;
  durationMs: number;
  restoreDurationMs?: number;
  amcheck?: 'passed' | 'failed' | 'unavailable';
  tablesCompared?: number;
  /** Physical level 3: databases of the restored cluster whose btree indexes were checked. */
  databasesChecked?: number;
  /**
   * Physical level 3: true when no transaction ran between the row count and
   * the backup's end, so counts were compared exactly; false when the cluster
   * was written meanwhile, and differences are listed in rowCountMismatches
   * instead of failing (a missing table still fails).
   */
  rowCountsExact?: boolean;
  rowCountMismatches?: string[];
  /** Why it failed (code and message; the object name for checksum failures). */
  error?: { code: string; message: string; object?: string };
  /**
   * True when the verification could not judge the backup because the
   * caller's key did not open it (missing or wrong decryption key, after the
   * stored bytes matched their SHA-256). Nothing is recorded in the manifest
   * or the verification metric then: the backup is not known to be bad.
   */
  inconclusive?: boolean;
}

/**
 * Stages: checksums (level 1) → every object decrypts, decompresses and the
 * tool reads it (level 2) → a real restore (level 3) → the outcome recorded
 * into the manifest, metrics, log and audit.
 */
export async function verifyBackup(
  ctx: OperationContext,
  backupId: string,
  options: VerifyOptions,
): Promise<VerifyResult> {
  assertBackupId(backupId);
  const level = options.restoreTest ? 3 : (options.level ?? 2);
  if (level !== 1 && level !== 2 && level !== 3) {
    throw new DbrsError('INVALID_ARGUMENT', `Verification level ${String(level)} is not 1, 2 or 3.`);
  }
  const manifest = await ctx.catalog.find(backupId, { signal: options.signal });
  // Levels 2 and 3 lay a physical backup out: an incremental's chain and pg_combinebackup are checked first,
  // and a refusal (a parent gone, no tool) throws: it is no verdict on the backup, so none is recorded.
  const layout =
    level > 1 && manifest.type === BackupType.PHYSICAL
      ? await physicalLayout({
          manifest,
          find: (id) => ctx.catalog.find(id, { database: manifest.database, signal: options.signal }),
          openerFor: (m) => objectOpener(ctx.catalog.storage, m, ctx.keyRing),
          toolPath: toolLocator(ctx.config, Math.floor(manifest.server.versionNum / 10_000)),
          tempDir: ctx.settings.tempDir ?? tmpdir(),
          action: `verify at level ${level}`,
          operation: 'verification',
        })
      : undefined;
  const started = performance.now();
  const result: VerifyResult = { backupId, database: manifest.database, level, ok: false, durationMs: 0 };
  try {
    await runLevels(ctx, manifest, level, { ...options, layout }, result);
    result.ok = true;
  } catch (err) {
    if (options.signal?.aborted || isDbrsError(err, 'ABORTED')) throw abortError(options.signal, 'verification');
    const e = isDbrsError(err) ? err : new DbrsError('VERIFY_FAILED', errorMessage(err), { cause: err });
    const object = typeof e.details['object'] === 'string' ? (e.details['object'] as string) : undefined;
    if (e.code === 'VERIFY_FAILED' && /amcheck/.test(e.message)) result.amcheck = 'failed';
    result.error = { code: e.code, message: e.message, ...(object ? { object } : {}) };
    if (isCallerKeyError(e)) result.inconclusive = true;
  }
  result.durationMs = Math.round(performance.now() - started);
  await recordOutcome(ctx, manifest, result);
  return result;
}

async function runLevels(
  ctx: OperationContext,
  manifest: BackupManifest,
  level: 1 | 2 | 3,
  options: VerifyOptions & { layout: PhysicalLayout | undefined },
  result: VerifyResult,
): Promise<void> {
  const step = verifySteps(ctx, options);
  step.to('checksums');
  await verifyChecksums(ctx.catalog.storage, manifest, options.signal);
  if (level === 1) return;
  const toolPath = toolLocator(ctx.config, Math.floor(manifest.server.versionNum / 10_000));
  const opener = objectOpener(ctx.catalog.storage, manifest, ctx.keyRing);
  const tempDir = ctx.settings.tempDir ?? tmpdir();
  if (level === 2) {
    step.to('readable');
    await verifyReadable({
      manifest,
      opener,
      toolPath,
      tempDir,
      signal: options.signal,
      layOut: options.layout?.layOut,
    });
    return;
  }
  if (manifest.type === BackupType.PHYSICAL) {
    // Includes level 2: pg_verifybackup runs on the extracted directory before the server starts on it.
    const outcome = await physicalRestoreTest({
      manifest,
      layOut: options.layout!.layOut,
      toolPath,
      serverBinary: { explicit: ctx.config.toolPaths?.postgres, binDir: ctx.config.binDir },
      tempDir,
      startTimeoutMs: options.recoveryTimeoutMs ?? 600_000,
      signal: options.signal,
      logger: ctx.logger,
    });
    result.restoreDurationMs = outcome.restoreDurationMs;
    result.amcheck = outcome.amcheck;
    result.tablesCompared = outcome.tablesCompared;
    result.databasesChecked = outcome.databasesChecked;
    result.rowCountsExact = outcome.rowCountsExact;
    result.rowCountMismatches = outcome.rowCountMismatches;
    ctx.metrics?.restoreTestDuration.set({ database: manifest.database }, outcome.restoreDurationMs / 1000);
    return;
  }
  const url = options.verifyServerUrl ?? ctx.config.verifyServerUrl;
  const server: Database = url ? createDatabase(url, { poolMax: 2 }) : ctx.db;
  try {
    const outcome = await restoreTest({
      manifest,
      opener,
      server,
      toolPath,
      tempDir,
      jobs: options.jobs,
      signal: options.signal,
      logger: ctx.logger,
      ...(options.onProgress ? { onProgress: step.restore } : {}),
    });
    result.restoreDurationMs = outcome.restoreDurationMs;
    result.amcheck = outcome.amcheck;
    result.tablesCompared = outcome.tablesCompared;
    ctx.metrics?.restoreTestDuration.set({ database: manifest.database }, outcome.restoreDurationMs / 1000);
  } finally {
    if (server !== ctx.db) await server.close().catch(() => {});
  }
}

/**
 * 'verify' progress by step: checksums, readable (level 2), or a level-3
 * restore's pg_restore steps (bytes: raw dump bytes fed), amcheck and row counts.
 */
function verifySteps(ctx: OperationContext, options: VerifyOptions) {
  const report = progressReporter(ctx.logger, 'verify', options.onProgress);
  let bytes = 0;
  let at: ProgressDetail = {};
  return {
    to: (step: ProgressStep) => {
      at = { step };
      report(bytes, true, at);
    },
    restore: (p: RestoreProgress | { step: ProgressStep }) => {
      if ('fedBytes' in p && p.fedBytes !== undefined) bytes = p.fedBytes;
      if (p.step !== undefined)
        at = { step: p.step, ...('items' in p && p.items !== undefined ? { items: p.items } : {}) };
      // Bytes alone move only the data step (before it, pg_restore is reading the dump's table of contents).
      if (p.step !== undefined || at.step === 'data') report(bytes, false, at);
    },
  };
}

/** A failure of the key in hand, not of the stored backup (see VerifyResult.inconclusive). */
function isCallerKeyError(e: DbrsError): boolean {
  return e.code === 'DECRYPTION_FAILED' && e.details['callerKey'] === true;
}

/** Manifest, metrics, log and audit; an inconclusive result is only logged and audited. */
async function recordOutcome(ctx: OperationContext, manifest: BackupManifest, result: VerifyResult): Promise<void> {
  const { level, backupId } = result;
  if (result.inconclusive) {
    ctx.logger.warn(
      { event: 'backup_verify_inconclusive', backupId, level, error: result.error },
      "verification could not open the backup with the configured key; the backup's record is unchanged",
    );
    await ctx.audit('backup.verify', `${manifest.database}/${backupId}`, 'failure', {
      level,
      inconclusive: true,
      ...(result.error ? { code: result.error.code, message: result.error.message } : {}),
    });
    return;
  }
  const record: VerificationRecord = {
    level,
    ok: result.ok,
    at: new Date().toISOString(),
    durationMs: result.durationMs,
    ...(result.restoreDurationMs !== undefined ? { restoreDurationMs: result.restoreDurationMs } : {}),
    ...(result.amcheck ? { amcheck: result.amcheck } : {}),
    ...(result.rowCountsExact !== undefined ? { rowCountsExact: result.rowCountsExact } : {}),
    ...(result.error ? { error: result.error.message } : {}),
  };
  // Rewriting the manifest in place keeps it the folder's completeness marker (every adapter replaces atomically).
  await ctx.catalog
    .writeManifest({ ...manifest, verification: record })
    .catch((err) =>
      ctx.logger.warn({ event: 'verification_record_failed', err }, 'could not store the verification result'),
    );
  ctx.metrics?.verification.set({ database: manifest.database, level: String(level) }, result.ok ? 1 : 0);
  if (result.ok) ctx.metrics?.lastVerification.set({ database: manifest.database }, Date.now() / 1000);
  ctx.logger[result.ok ? 'info' : 'error'](
    { event: 'backup_verified', backupId, level, ok: result.ok, error: result.error },
    result.ok ? 'verification passed' : 'verification failed',
  );
  await ctx.audit('backup.verify', `${manifest.database}/${backupId}`, result.ok ? 'success' : 'failure', {
    level,
    ...(result.error ? { code: result.error.code, message: result.error.message } : {}),
  });
}
