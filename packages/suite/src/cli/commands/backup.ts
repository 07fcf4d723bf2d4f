import type { CleanupResult, DatabaseBackupManager, ProgressEvent, RecoveryTarget } from '@voicehive/db-backup';
import type { Database } from '@voicehive/db-core';
import { verificationOf } from '../../components/backup.js';
import { formatBytes } from '../../format/units.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { ProgressBar, type ProgressUpdate } from '../progress.js';
import { formatFields, formatTable } from '../table.js';
import { ONLY, openFeature } from './require-feature.js';
import { selfCommand } from './wal-admin.js';

async function open(ctx: CommandContext) {
  const { suite, feature } = await openFeature<DatabaseBackupManager>(ctx, 'backup', {
    ...ONLY.backup,
    backupEnabled: true,
  });
  return { suite, backups: feature };
}

/**
 * A progress line per phase. `totals` gives the phases whose size is known
 * beforehand (a restore's raw size for its download and load; the tables'
 * size, an estimate, for a dump); the others show bytes, rate and elapsed.
 */
function progress(
  ctx: CommandContext,
  label: string,
  totals: Partial<Record<ProgressEvent['phase'], number>> = {},
  estimated = false,
) {
  const bar = new ProgressBar(label, {
    enabled: !ctx.json && Boolean(ctx.io.stderr.isTTY),
    stream: ctx.io.stderr as NodeJS.WriteStream,
  });
  return {
    onProgress: (e: ProgressEvent) => {
      const u = progressUpdate(e, totals[e.phase], estimated);
      // "restore data", not "restore restore data".
      const phase = u.phase?.startsWith(label) ? u.phase.slice(label.length).trim() : u.phase;
      bar.update({ ...u, phase: phase || undefined });
    },
    done: () => bar.done(),
  };
}

/**
 * One event as the bar shows it. A dump: bytes read, with compressed and
 * uploaded bytes beside them. A restore step: pg_restore's data step in
 * bytes fed (when it streams) against the raw size; the schema, index and
 * constraint steps in objects done; a check (checksums, amcheck) by its
 * elapsed time.
 */
export function progressUpdate(e: ProgressEvent, total: number | undefined, estimated = false): ProgressUpdate {
  const phase = e.step ? `${e.phase} ${e.step}` : e.phase;
  const sized = total ? { total, estimated } : {};
  if (e.step === undefined) {
    const detail =
      e.storedBytes !== undefined
        ? `${formatBytes(e.storedBytes)} compressed, ${formatBytes(e.uploadedBytes ?? 0)} uploaded`
        : undefined;
    return { phase, done: e.bytes, ...sized, ...(detail ? { detail: `read, ${detail}` } : {}) };
  }
  if (e.step === 'data' && e.bytes > 0) return { phase, done: e.bytes, ...sized };
  if (e.items !== undefined) return { phase, done: e.items, unit: 'items' };
  return { phase, done: 0, unit: 'none' };
}

/** What a logical dump will roughly read: the user tables' heap and TOAST (not their indexes). */
async function dumpEstimate(db: Database): Promise<number | undefined> {
  const { rows } = await db
    .query<{ b: string | null }>(
      `SELECT sum(pg_table_size(c.oid))::int8 AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    )
    .catch(() => ({ rows: [] as Array<{ b: string | null }> }));
  const b = Number(rows[0]?.b ?? Number.NaN);
  return Number.isFinite(b) && b > 0 ? b : undefined;
}

function idArg(ctx: CommandContext, what: string): string {
  const id = ctx.positionals[0];
  if (!id) throw new UsageError(`backup ${what} needs a backup id (see dbrs backup list)`);
  return id;
}

export async function backupCreate(ctx: CommandContext): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const type = ctx.str('type') as 'logical' | 'physical' | undefined;
  // A physical copy reads the whole cluster; only a logical dump's size is estimated from its tables.
  const estimate = type === 'physical' || ctx.json ? undefined : await dumpEstimate(suite.database);
  const p = progress(ctx, 'backup', estimate ? { dump: estimate } : {}, true);
  try {
    const r = await backups.createBackup(ctx.str('database') ?? suite.database.info.database, {
      signal: ctx.signal,
      onProgress: p.onProgress,
      ...(type ? { type } : {}),
      ...(ctx.values['incremental'] === true ? { incremental: true } : {}),
    });
    p.done();
    const out = {
      backupId: r.backupId,
      database: r.database,
      type: r.type,
      sizeBytes: r.sizeBytes,
      storedBytes: r.storedBytes,
      durationMs: Math.round(r.durationMs),
      encrypted: r.manifest.encryption !== null,
      compression: r.manifest.compression,
      // Asked for an incremental: the parent it was taken against, or null when none existed and a full one was taken.
      ...(ctx.values['incremental'] === true ? { parentBackupId: r.manifest.incremental?.parentBackupId ?? null } : {}),
      // …and then why it is full (no parent, the chain at backup.incrementalMaxChain, or the chain broken).
      ...(r.incrementalBecameFull ? { full: r.incrementalBecameFull.message } : {}),
    };
    ctx.print(
      formatFields({ ...out, sizeBytes: formatBytes(r.sizeBytes), storedBytes: formatBytes(r.storedBytes) }),
      out,
    );
    return EXIT.OK;
  } finally {
    p.done();
  }
}

export async function backupList(ctx: CommandContext): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const list = await backups.listBackups({
    ...(ctx.str('database') ? { database: ctx.str('database') } : {}),
    limit: ctx.num('limit') ?? 50,
    signal: ctx.signal,
  });
  const rows = list.map((b) => ({
    backupId: b.backupId,
    database: b.database,
    type: b.type,
    startedAt: b.startedAt.toISOString(),
    storedBytes: b.storedBytes,
    verification: verificationOf(b),
    encrypted: b.manifest.encryption !== null,
  }));
  ctx.print(formatTable(rows.map((r) => ({ ...r, storedBytes: formatBytes(r.storedBytes) }))), rows);
  return EXIT.OK;
}

export async function backupVerify(ctx: CommandContext): Promise<number> {
  const id = idArg(ctx, 'verify');
  const level = ctx.num('level') ?? (ctx.values['restore-test'] ? 3 : 2);
  if (![1, 2, 3].includes(level)) throw new UsageError('--level must be 1, 2 or 3');
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const info = (await backups.listBackups({ signal: ctx.signal })).find((b) => b.backupId === id);
  const raw = info?.manifest.sizes.rawBytes;
  const p = progress(ctx, 'verify', raw ? { verify: raw } : {});
  const r = await backups.verifyBackup(id, { level: level as 1 | 2 | 3, signal: ctx.signal, onProgress: p.onProgress });
  p.done();
  ctx.print(
    formatFields({
      backupId: r.backupId,
      level: r.level,
      ok: r.ok,
      durationMs: Math.round(r.durationMs),
      restoreDurationMs: r.restoreDurationMs,
      amcheck: r.amcheck,
      error: r.error ? `${r.error.code}: ${r.error.message}` : undefined,
    }),
    r,
  );
  return r.ok ? EXIT.OK : EXIT.FAILURE;
}

function recoveryTarget(ctx: CommandContext): RecoveryTarget | undefined {
  const given = (['time', 'lsn', 'xid', 'name'] as const).filter((k) => ctx.str(`target-${k}`) !== undefined);
  const immediate = ctx.values['target-immediate'] === true;
  if (given.length + (immediate ? 1 : 0) > 1)
    throw new UsageError('give one of --target-time, --target-lsn, --target-xid, --target-name, --target-immediate');
  if (immediate) return 'immediate';
  const k = given[0];
  return k ? ({ [k]: ctx.str(`target-${k}`)! } as RecoveryTarget) : undefined;
}

/** A physical base backup plus archived WAL into a directory, replayed (with --start) to the target. */
async function restoreToPoint(
  ctx: CommandContext,
  id: string,
  targetDirectory: string,
  target: RecoveryTarget,
): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const start = ctx.values['start'] === true;
  const r = await backups.restoreBackup(id, {
    targetDirectory,
    recoveryTarget: target,
    inclusive: ctx.values['exclusive'] !== true,
    start,
    promote: start && ctx.values['no-promote'] !== true,
    restoreCommand: selfCommand(ctx, ['wal', 'fetch', '"%f"', '"%p"']),
    signal: ctx.signal,
  });
  const pit = r.pointInTime!;
  ctx.print(
    formatFields({
      baseBackupId: pit.baseBackupId,
      targetDirectory: r.targetDatabase,
      reachedLsn: pit.reached?.lsn,
      reachedTime: pit.reached?.time,
      timeline: pit.reached?.timeline,
      promoted: pit.reached?.promoted,
      walFilesFetched: pit.walFilesFetched,
      durationMs: Math.round(r.durationMs),
      next: pit.reached ? undefined : 'start PostgreSQL on the directory: it replays the archive to the target',
    }),
    r,
  );
  return EXIT.OK;
}

export async function backupRestore(ctx: CommandContext): Promise<number> {
  const id = idArg(ctx, 'restore');
  const targetUrl = ctx.str('target-url');
  const targetDatabase = ctx.str('target-database');
  const targetDirectory = ctx.str('target-directory');
  const target = recoveryTarget(ctx);
  if (!targetUrl && !targetDatabase && !targetDirectory)
    throw new UsageError(
      'backup restore needs --target-url <postgres-url>, --target-database <name> or --target-directory <dir>',
    );
  if (target && !targetDirectory) throw new UsageError('a --target-time/lsn/xid/name restore needs --target-directory');
  if (target) return restoreToPoint(ctx, id, targetDirectory!, target);
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const info = (await backups.listBackups({ signal: ctx.signal })).find((b) => b.backupId === id);
  const raw = info?.manifest.sizes.rawBytes;
  const p = progress(ctx, 'restore', raw ? { download: raw, restore: raw } : {});
  const r = await backups.restoreBackup(id, {
    ...(targetUrl ? { targetUrl } : {}),
    ...(targetDatabase ? { targetDatabase } : {}),
    ...(targetDirectory ? { targetDirectory } : {}),
    clean: ctx.values['clean'] === true,
    schemaOnly: ctx.values['schema-only'] === true,
    ...(ctx.num('jobs') ? { jobs: ctx.num('jobs') } : {}),
    signal: ctx.signal,
    onProgress: p.onProgress,
  });
  p.done();
  ctx.print(
    formatFields({ backupId: r.backupId, targetDatabase: r.targetDatabase, durationMs: Math.round(r.durationMs) }),
    r,
  );
  return EXIT.OK;
}

export async function backupCleanup(ctx: CommandContext): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const r = await backups.cleanupOldBackups({ dryRun: ctx.values['dry-run'] === true, signal: ctx.signal });
  const out = {
    dryRun: r.dryRun,
    deleted: r.deleted,
    kept: r.kept,
    incompleteRemoved: r.incompleteRemoved,
    freedBytes: r.freedBytes,
    wal: r.wal,
  };
  ctx.print(
    `${r.dryRun ? 'Would delete' : 'Deleted'} ${r.deleted.length} backup(s), kept ${r.kept.length}, freed ${formatBytes(r.freedBytes)}${r.deleted.length ? `\n  ${r.deleted.join('\n  ')}` : ''}\n${walLines(r.wal, r.dryRun)}`,
    out,
  );
  return EXIT.OK;
}

/** The archived WAL half of `backup cleanup`: what goes and what the retained base backups still need. */
function walLines(w: CleanupResult['wal'], dryRun: boolean): string {
  const kept = w.kept.count ? `kept ${w.kept.count} (${w.kept.first} .. ${w.kept.last})` : 'kept none';
  const needed = w.neededBy.map((n) => `\n  ${n.backupId} needs WAL from ${n.fromSegment}`).join('');
  return `WAL: ${dryRun ? 'would remove' : 'removed'} ${w.removed.length}${w.removed.length ? ` (${w.removed[0]} .. ${w.removed.at(-1)})` : ''}, ${kept}${w.reason ? ` — ${w.reason}` : ''}${needed}`;
}
