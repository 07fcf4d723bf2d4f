import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, DbrsError } from '@voicehive/db-core';
import { locateServerBinary } from '../tools/server-binary.js';
import { chownToServiceUser } from '../tools/service-user.js';
import { lastCommitTime } from '../wal/last-commit.js';
import type { OperationContext } from './context.js';
import { restoreToPointInTime } from './point-in-time.js';
import { getRecoveryWindow, physicalManifests } from './wal.js';

export interface VerifyPointInTimeOptions {
  /** The moment to recover to. Default: a random moment inside the recovery window. */
  at?: Date;
  /** Random source in [0, 1) for the moment. Default Math.random. */
  random?: () => number;
  /**
   * Checks the data at the target, on the paused server, before it is thrown
   * away: e.g. a marker table written at known times must hold exactly the
   * rows written before `at`. Throw to fail the verification.
   */
  check?: (connect: (database: string) => Database, at: Date) => Promise<void>;
  /** How long replay may take, in ms. Default 3 600 000. */
  recoveryTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface VerifyPointInTimeResult {
  ok: boolean;
  /** The moment recovered to, and the window it was drawn from (up to the newest commit archived). */
  at: Date;
  window: { earliest: Date; latest: Date; lastCommit?: Date };
  baseBackupId?: string;
  reached?: { lsn: string; time?: string; timeline: number };
  /** Extract + replay to the target, in ms (the recovery time objective achieved). */
  recoveryMs?: number;
  replayMs?: number;
  /** Size of the base backup as PostgreSQL holds it, and of the WAL replayed. */
  baseBytes?: number;
  walBytes?: number;
  walFiles?: number;
  /** Recovery seconds per GB (10^9 bytes) of base backup. */
  rtoSecondsPerGb?: number;
  /** Archived WAL fetched and replayed per second of replay. */
  walReplayBytesPerSecond?: number;
  error?: { code: string; message: string };
}

/**
 * Level-3 verification of the recovery window: a real point-in-time restore
 * to a (random) moment inside it, on a private server, with the caller's
 * check of the data at that moment; records the recovery time per GB and
 * the WAL replay rate. A target recovery cannot reach fails (ok: false, with
 * PostgreSQL's reason), as a restore would.
 */
export async function verifyPointInTime(
  ctx: OperationContext,
  options: VerifyPointInTimeOptions,
): Promise<VerifyPointInTimeResult> {
  const w = await getRecoveryWindow(ctx, { signal: options.signal });
  if (!w.earliest || !w.latest || w.latest <= w.earliest) {
    throw new DbrsError(
      'NOT_FOUND',
      'There is no recovery window to verify: no physical base backup with archived WAL after it.',
      {
        hint: 'Take a physical backup with WAL archiving on (dbrs wal setup), then verify.',
      },
    );
  }
  const { at, lastCommit } = await drawMoment(
    ctx,
    { earliest: w.earliest, latest: w.latest, backups: w.backups },
    options,
  );
  const result: VerifyPointInTimeResult = {
    ok: false,
    at,
    window: { earliest: w.earliest, latest: w.latest, ...(lastCommit ? { lastCommit } : {}) },
  };
  const parent = await mkdtemp(join(ctx.settings.tempDir ?? tmpdir(), 'vhbk-pitr-verify-'));
  await chownToServiceUser(parent);
  try {
    const r = await restoreToPointInTime(ctx, 'latest', {
      targetDirectory: join(parent, 'data'),
      recoveryTarget: { time: at },
      start: true,
      promote: false,
      ...(options.recoveryTimeoutMs ? { recoveryTimeoutMs: options.recoveryTimeoutMs } : {}),
      ...(options.check ? { atTarget: (connect) => options.check!(connect, at) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const pit = r.pointInTime;
    const sizes = (await ctx.catalog.find(pit.baseBackupId, { signal: options.signal })).sizes;
    Object.assign(result, {
      ok: true,
      baseBackupId: pit.baseBackupId,
      ...(pit.reached
        ? { reached: { lsn: pit.reached.lsn, time: pit.reached.time, timeline: pit.reached.timeline } }
        : {}),
      recoveryMs: pit.recoveryMs,
      replayMs: pit.replayMs,
      baseBytes: sizes.rawBytes,
      walBytes: pit.walBytes,
      walFiles: pit.walFilesFetched,
      rtoSecondsPerGb: sizes.rawBytes ? pit.recoveryMs / 1000 / (sizes.rawBytes / 1e9) : undefined,
      walReplayBytesPerSecond: pit.replayMs ? pit.walBytes / (pit.replayMs / 1000) : undefined,
    });
  } catch (err) {
    const e = err as DbrsError;
    result.error = { code: e.code ?? 'VERIFY_FAILED', message: e.message };
  } finally {
    await rm(parent, { recursive: true, force: true, maxRetries: 3 });
  }
  ctx.logger.info({ event: 'backup_pitr_verified', ...result }, 'point-in-time verification');
  await ctx.audit('backup.verify', `pitr@${at.toISOString()}`, result.ok ? 'success' : 'failure', {
    level: 3,
    pointInTime: true,
    ...(result.error ? { error: result.error } : {}),
    ...(result.rtoSecondsPerGb !== undefined ? { rtoSecondsPerGb: result.rtoSecondsPerGb } : {}),
  });
  return result;
}

/** The moment to recover to: given, or drawn inside the window up to the newest commit archived. */
async function drawMoment(
  ctx: OperationContext,
  w: { earliest: Date; latest: Date; backups: Array<{ lastSegment?: string }> },
  options: VerifyPointInTimeOptions,
): Promise<{ at: Date; lastCommit?: Date }> {
  // Draw before the newest commit in the archive: a time target is only confirmed by a later commit.
  const lastSegment = w.backups
    .map((b) => b.lastSegment)
    .filter((n): n is string => n !== undefined)
    .sort()
    .at(-1);
  const newest = await physicalManifests(ctx, options.signal).then((l) => l.at(-1));
  const lastCommit =
    lastSegment && newest
      ? await lastCommitTime({
          archive: ctx.wal,
          lastSegment,
          postgres: await locateServerBinary(Math.floor(newest.server.versionNum / 10_000), {
            explicit: ctx.config.toolPaths?.postgres,
            binDir: ctx.config.binDir,
          }),
          tempDir: ctx.settings.tempDir ?? tmpdir(),
          ...(options.signal ? { signal: options.signal } : {}),
        })
      : undefined;
  if (!options.at && (!lastCommit || lastCommit <= w.earliest)) {
    throw new DbrsError(
      'NOT_FOUND',
      'No transaction was committed in the archived WAL after the oldest base backup: no moment to verify.',
      {
        hint: 'A time target is confirmed by a later commit: verify once the database has written (or pass at).',
      },
    );
  }
  const end = lastCommit && lastCommit < w.latest ? lastCommit : w.latest;
  const span = end.getTime() - w.earliest.getTime();
  const at = options.at ?? new Date(w.earliest.getTime() + Math.floor((options.random ?? Math.random)() * span));
  return { at, ...(lastCommit ? { lastCommit } : {}) };
}
