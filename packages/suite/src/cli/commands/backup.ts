import type { DatabaseBackupManager, ProgressEvent } from '@voicehive/db-backup';
import { verificationOf } from '../../components/backup.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatBytes, ProgressBar } from '../progress.js';
import { formatFields, formatTable } from '../table.js';
import { ONLY, openFeature } from './require-feature.js';

async function open(ctx: CommandContext) {
  const { suite, feature } = await openFeature<DatabaseBackupManager>(ctx, 'backup', {
    ...ONLY.backup,
    backupEnabled: true,
  });
  return { suite, backups: feature };
}

function progress(ctx: CommandContext, label: string, total?: number) {
  const bar = new ProgressBar(label, {
    enabled: !ctx.json && Boolean(ctx.io.stderr.isTTY),
    stream: ctx.io.stderr as NodeJS.WriteStream,
  });
  return {
    onProgress: (e: ProgressEvent) => bar.update({ done: e.bytes, ...(total ? { total } : {}), phase: e.phase }),
    done: () => bar.done(),
  };
}

function idArg(ctx: CommandContext, what: string): string {
  const id = ctx.positionals[0];
  if (!id) throw new UsageError(`backup ${what} needs a backup id (see dbrs backup list)`);
  return id;
}

export async function backupCreate(ctx: CommandContext): Promise<number> {
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const p = progress(ctx, 'backup');
  try {
    const type = ctx.str('type') as 'logical' | 'physical' | undefined;
    const r = await backups.createBackup(ctx.str('database') ?? suite.database.info.database, {
      signal: ctx.signal,
      onProgress: p.onProgress,
      ...(type ? { type } : {}),
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
  const p = progress(ctx, 'verify', info?.manifest.sizes.rawBytes);
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

export async function backupRestore(ctx: CommandContext): Promise<number> {
  const id = idArg(ctx, 'restore');
  const targetUrl = ctx.str('target-url');
  const targetDatabase = ctx.str('target-database');
  if (!targetUrl && !targetDatabase)
    throw new UsageError('backup restore needs --target-url <postgres-url> or --target-database <name>');
  const { suite, backups } = await open(ctx);
  await using _ = suite;
  const info = (await backups.listBackups({ signal: ctx.signal })).find((b) => b.backupId === id);
  const p = progress(ctx, 'restore', info?.manifest.sizes.rawBytes);
  const r = await backups.restoreBackup(id, {
    ...(targetUrl ? { targetUrl } : {}),
    ...(targetDatabase ? { targetDatabase } : {}),
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
  };
  ctx.print(
    `${r.dryRun ? 'Would delete' : 'Deleted'} ${r.deleted.length} backup(s), kept ${r.kept.length}, freed ${formatBytes(r.freedBytes)}${r.deleted.length ? `\n  ${r.deleted.join('\n  ')}` : ''}`,
    out,
  );
  return EXIT.OK;
}
