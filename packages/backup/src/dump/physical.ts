import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnTool } from '../tools/spawn.js';
import type { DumpContext, DumpOutcome } from './context.js';
import { type PhysicalCounts, startCounting } from './physical-counts.js';
import { storeWhileWritten } from './physical-store.js';
import { BASE_DIR_PREFIX, recordOwner, sweepOrphanedBaseDirs } from './temp-owner.js';

/**
 * pg_basebackup in tar format with WAL streamed (-X stream) so the backup
 * is self-consistent. pg_basebackup refuses `-X stream` with `-D -`, and
 * `-X fetch` to stdout can fail when the server recycles WAL mid-backup, so
 * it writes base.tar, pg_wal.tar and backup_manifest into a temp dir. Each
 * file is streamed through the pipeline (the base tar while it is being
 * written: physical-store.ts) and the dir removed. The backup_manifest is
 * kept so level-2 verification can run pg_verifybackup.
 */
export async function physicalBackup(
  ctx: DumpContext,
  options: {
    toolMajor?: number;
    rowCounts?: boolean;
    /** PostgreSQL 17+: the parent's backup_manifest (a local file); only blocks changed since it are copied. */
    incrementalFrom?: string;
  } = {},
): Promise<DumpOutcome> {
  const sys = await ctx.db.query<{ id: string; superuser: string }>(
    'SELECT system_identifier::text AS id, (SELECT rolname FROM pg_roles WHERE oid = 10) AS superuser FROM pg_control_system()',
  );
  // Its snapshot is taken now, before pg_basebackup starts; the counting runs beside the backup.
  const counting = options.rowCounts === false ? undefined : await startCounting(ctx);
  try {
    const outcome = await runBasebackup(ctx, { ...options, counting });
    return { ...outcome, systemIdentifier: sys.rows[0]?.id, superuser: sys.rows[0]?.superuser };
  } finally {
    // Whatever failed, the counting session is not left reading the whole database for nobody.
    await counting?.stop();
  }
}

async function runBasebackup(
  ctx: DumpContext,
  options: { toolMajor?: number; incrementalFrom?: string; counting?: PhysicalCounts },
): Promise<Omit<DumpOutcome, 'systemIdentifier' | 'superuser'>> {
  const counting = options.counting;
  const clientZstd = ctx.compression.kind === 'zstd' && (options.toolMajor ?? 0) >= 15;
  await sweepOrphanedBaseDirs(ctx.tempDir, ctx.logger);
  const dir = await mkdtemp(join(ctx.tempDir, BASE_DIR_PREFIX));
  try {
    await recordOwner(dir);
    const out = join(dir, 'base');
    const tool = spawnTool(
      'pg_basebackup',
      ctx.toolPath('pg_basebackup'),
      [
        '-D',
        out,
        '-Ft',
        '-X',
        'stream',
        '-c',
        'fast',
        '--no-password',
        // The temp files are read back at once and the dir removed: fsyncing them first only costs time.
        '--no-sync',
        '--label',
        `voicehive ${ctx.database}`,
        // zstd inside pg_basebackup as it receives: the 2x larger plain tar never touches the temp disk.
        ...(clientZstd ? [`--compress=client-zstd:level=${ctx.compression.level ?? 3}`] : []),
        ...(options.incrementalFrom ? [`--incremental=${options.incrementalFrom}`] : []),
      ],
      { env: ctx.env, stdout: 'ignore', signal: ctx.signal, operation: 'backup', processGroup: true },
    );
    if (tool.child.pid) ctx.onSpawn?.({ tool: 'pg_basebackup', pid: tool.child.pid });
    // Best effort, and never a reason to fail with the tool running: without it only the sweep after a SIGKILL
    // of this process is lost.
    if (tool.child.pid) await recordOwner(dir, tool.child.pid).catch(() => {});
    const written = storeWhileWritten(ctx, tool, out, clientZstd);
    let stored: Awaited<typeof written>;
    let rowCounts: Record<string, number> | undefined;
    try {
      // The first failure stops the other: the counts' session failing ends pg_basebackup, and the reverse.
      [stored, rowCounts] = await Promise.all([written, counting?.rowCounts]);
    } catch (err) {
      // A failed store (storage down) leaves pg_basebackup running: killed and reaped before the temp dir goes,
      // and the store given up on before the caller removes the backup's folder.
      await Promise.all([tool.stop(), counting?.stop(), written.catch(() => {})]);
      throw err;
    }
    const { manifest, objects } = stored;
    const range = manifest['WAL-Ranges']?.[0];
    return {
      format: 'tar',
      objects,
      rowCounts,
      rowCountsNextXid: counting?.nextXid,
      wal: range ? { startLsn: range['Start-LSN'], endLsn: range['End-LSN'], timeline: range.Timeline } : undefined,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
