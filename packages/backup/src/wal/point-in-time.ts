import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { abortError, type Database, DbrsError, errorMessage, isDbrsError, type Logger } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import { locateServerBinary } from '../tools/server-binary.js';
import { assertServiceUserCanReach, chownToServiceUser } from '../tools/service-user.js';
import { type ScratchServer, startScratchServer } from '../verify/scratch-server.js';
import type { WalArchive } from './archive.js';
import { startFetchBridge } from './fetch-bridge.js';
import { describeTarget, type ResolvedTarget, targetSettings } from './recovery-target.js';
import { hotStandbyMinimums } from './standby-settings.js';

export interface PointInTimeOptions {
  manifest: BackupManifest;
  /** Lays the base backup out as a data directory (an incremental: its chain combined). */
  layOut: (dir: string, signal?: AbortSignal) => Promise<void>;
  archive: WalArchive;
  target: ResolvedTarget;
  /** Stop just after (true) or just before (false) the target. */
  inclusive: boolean;
  /** End recovery and open read-write at the target. */
  promote: boolean;
  /** Start a private server to replay now (else only lay the directory out). */
  start: boolean;
  targetDirectory: string;
  /** restore_command written for whoever starts the directory later. */
  restoreCommand: string;
  serverBinary: { explicit?: string; binDir?: string };
  startTimeoutMs: number;
  signal?: AbortSignal;
  logger: Logger;
  /** Called with a connection to the server at the target (before promotion): checks, verification. */
  atTarget?: (connect: (database: string) => Database) => Promise<void>;
}

export interface ReachedPoint {
  /** Last WAL location replayed. */
  lsn: string;
  /** Commit time of the last transaction replayed (none when no transaction was replayed). */
  time?: string;
  timeline: number;
  promoted: boolean;
}

export interface PointInTimeResult {
  reached?: ReachedPoint;
  /** WAL files restore_command handed to the server. */
  walFilesFetched: number;
  /** Extract → replay to the target (→ promotion): the recovery time achieved. */
  recoveryMs: number;
  /** Of that, server start → paused at the target: WAL fetch and replay. */
  replayMs?: number;
  /** Bytes of WAL the server read from the archive. */
  walBytes: number;
}

function conf(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Lays a physical base backup out in `targetDirectory` and writes the
 * recovery settings: restore_command, the recovery_target_*, timeline
 * 'latest' (follows promotions), and recovery.signal. With `start`, a
 * private server (unix socket only, as the postgres OS user when we are
 * root) replays to the target, pausing there so the point reached can be
 * read (and `atTarget` can check data), then promotes when asked and
 * stops. A target recovery cannot reach (a gap, the end of the archive)
 * fails with PostgreSQL's own reason: never a silent stop reported as success.
 */
// Long: its stages (pick base, extract, recovery settings, start, wait, read the point reached) share one directory and server, cleaned up in one finally.
export async function restoreToPoint(o: PointInTimeOptions): Promise<PointInTimeResult> {
  const started = performance.now();
  // Fail before downloading anything when the server (the postgres OS user when we are root) could not enter it.
  if (o.start) await assertServiceUserCanReach(dirname(resolve(o.targetDirectory)));
  await o.layOut(o.targetDirectory, o.signal);
  const settings: Record<string, string> = {
    restore_command: o.restoreCommand,
    recovery_target_timeline: 'latest',
    recovery_target_action: o.promote ? 'promote' : 'pause',
    ...targetSettings(o.target, o.inclusive),
  };
  await appendFile(
    join(o.targetDirectory, 'postgresql.auto.conf'),
    `\n# voicehive point-in-time restore of ${o.manifest.backupId} to ${describeTarget(o.target)}\n${Object.entries(
      settings,
    )
      .map(([k, v]) => `${k} = ${conf(v)}`)
      .join('\n')}\n`,
  );
  await writeFile(join(o.targetDirectory, 'recovery.signal'), '');
  await chownToServiceUser(o.targetDirectory);
  if (!o.start) return { walFilesFetched: 0, recoveryMs: Math.round(performance.now() - started), walBytes: 0 };

  const postgres = await locateServerBinary(Math.floor(o.manifest.server.versionNum / 10_000), o.serverBinary);
  await assertServiceUserCanReach(tmpdir());
  const runDir = await mkdtemp(join(tmpdir(), 'vhbk-pitr-'));
  await chownToServiceUser(runDir);
  const bridge = await startFetchBridge({ archive: o.archive, runDir, logger: o.logger });
  let server: ScratchServer | undefined;
  const replayStarted = performance.now();
  try {
    try {
      server = await startScratchServer({
        postgres,
        dataDir: o.targetDirectory,
        runDir,
        startTimeoutMs: o.startTimeoutMs,
        signal: o.signal,
        // Pause at the target whatever was asked, so the point reached can be read before promoting; hot
        // standby (to read it) needs the primary's connection/worker/lock limits.
        settings: {
          ...(await hotStandbyMinimums(postgres, o.targetDirectory)),
          restore_command: bridge.restoreCommand,
          recovery_target_action: 'pause',
          hot_standby: 'on',
        },
      });
    } catch (err) {
      throw bridge.lastError ?? recoveryFailed(o, err);
    }
    const superuser = o.manifest.server.superuser ?? 'postgres';
    const reached = await waitAtTarget(o, server, superuser, runDir).catch((err) => {
      // A fetch that failed (wrong key, storage down) stopped recovery: that is the cause, not the exit.
      throw bridge.lastError ?? err;
    });
    const replayMs = Math.round(performance.now() - replayStarted);
    if (o.atTarget) await o.atTarget((database) => server!.connect(database, superuser));
    if (o.promote) {
      const db = server.connect('template1', superuser);
      try {
        await db.query('SELECT pg_promote(true, 300)', [], { signal: o.signal });
        // The new timeline is in the name of the WAL file now written (pg_control_checkpoint() keeps the old
        // one until the first checkpoint after promotion, which runs in the background).
        const r = await db.query<{ tli: number }>(
          `SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli`,
        );
        reached.timeline = Number(r.rows[0]!.tli);
        reached.promoted = true;
      } finally {
        await db.close().catch(() => {});
      }
    }
    const walBytes = await o.archive
      .list({ signal: o.signal })
      .then((l) => l.filter((w) => bridge.served.includes(w.name)).reduce((n, w) => n + w.rawBytes, 0))
      .catch(() => 0);
    return {
      reached,
      walFilesFetched: bridge.served.length,
      recoveryMs: Math.round(performance.now() - started),
      replayMs,
      walBytes,
    };
  } finally {
    await server?.stop().catch((err) => o.logger.warn({ event: 'pitr_server_stop_failed', err }, 'could not stop'));
    await bridge.close();
    await rm(runDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Polls until recovery paused at the target (or ended); a server that exits meanwhile failed to reach it. */
async function waitAtTarget(
  o: PointInTimeOptions,
  server: ScratchServer,
  superuser: string,
  runDir: string,
): Promise<ReachedPoint> {
  const deadline = Date.now() + o.startTimeoutMs;
  const db = server.connect('template1', superuser);
  try {
    for (;;) {
      if (o.signal?.aborted) throw abortError(o.signal, 'restore');
      let row: { rec: boolean; state: string; lsn: string | null; t: Date | null; tli: number } | undefined;
      try {
        row = (
          await db.query<{ rec: boolean; state: string; lsn: string | null; t: Date | null; tli: number }>(
            `SELECT pg_is_in_recovery() AS rec, pg_get_wal_replay_pause_state() AS state,
                    pg_last_wal_replay_lsn()::text AS lsn, pg_last_xact_replay_timestamp() AS t,
                    (SELECT timeline_id FROM pg_control_checkpoint()) AS tli`,
          )
        ).rows[0];
      } catch (err) {
        throw recoveryFailed(o, err, await logTail(runDir));
      }
      if (row && (row.state === 'paused' || !row.rec)) {
        return {
          lsn: row.lsn ?? '',
          ...(row.t ? { time: new Date(row.t).toISOString() } : {}),
          timeline: Number(row.tli),
          promoted: false,
        };
      }
      if (Date.now() > deadline) {
        throw new DbrsError(
          'TIMEOUT',
          `Recovery did not reach ${describeTarget(o.target)} within ${o.startTimeoutMs} ms.`,
          {
            details: { log: await logTail(runDir) },
          },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await db.close().catch(() => {});
  }
}

async function logTail(runDir: string): Promise<string> {
  const text = await readFile(join(runDir, 'server.log'), 'utf8').catch(() => '');
  return text
    .trim()
    .split('\n')
    .filter((l) => /FATAL|ERROR|PANIC|recovery/.test(l))
    .slice(-6)
    .join(' | ');
}

function recoveryFailed(o: PointInTimeOptions, err: unknown, tail?: string): unknown {
  if (isDbrsError(err, 'ABORTED') || o.signal?.aborted) return err;
  const why = tail || errorMessage(err);
  const gap = /recovery ended before configured recovery target was reached/.test(why);
  return new DbrsError(
    'RESTORE_FAILED',
    `Recovery of ${o.manifest.backupId} did not reach ${describeTarget(o.target)}: ${why}`,
    {
      cause: err,
      hint: gap
        ? 'The archived WAL ends (or has a gap) before the target: run dbrs wal verify, or choose an earlier target.'
        : 'See the server log lines above; dbrs wal verify checks the archive.',
    },
  );
}
