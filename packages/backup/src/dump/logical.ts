import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { abortError, DbrsError } from '@voicehive/db-core';
import { gatedOutput } from '../tools/exit-gate.js';
import { spawnTool } from '../tools/spawn.js';
import { zstdPipe } from '../tools/zstd-pipe.js';
import type { DumpContext, DumpOutcome } from './context.js';
import { type DumpFilters, filterArgs } from './filters.js';
import { withExportedSnapshot } from './snapshot.js';

export interface LogicalDumpOptions extends DumpFilters {
  /** >1: directory format with parallel jobs (needs temp disk). Default 1: custom format streamed. */
  jobs?: number;
  globals?: boolean;
  rowCounts?: boolean;
}

/**
 * pg_dump in custom format, uncompressed (-Z0: our pipeline compresses on
 * the other core), streamed to storage. With jobs > 1 pg_dump must write a
 * directory, which cannot stream: it goes to a temp dir, then every file is
 * stored as its own object and the temp dir removed.
 */
export async function logicalDump(ctx: DumpContext, options: LogicalDumpOptions): Promise<DumpOutcome> {
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    throw new DbrsError('INVALID_ARGUMENT', `jobs must be a whole number from 1 to 64, got ${jobs}.`);
  }
  const filters = filterArgs(options);
  const pgDump = ctx.toolPath('pg_dump');
  const objects: DumpOutcome['objects'] = [];

  if (options.globals) objects.push(await dumpGlobals(ctx));

  let format: DumpOutcome['format'] = 'custom';
  const { snapshotId, rowCounts, lsn } = await withExportedSnapshot(
    ctx.db,
    { filters: options, rowCounts: options.rowCounts ?? true, signal: ctx.signal },
    async (snap) => {
      const base = ['--no-password', `--snapshot=${snap.snapshotId}`, '-Z0', ...filters];
      if (jobs === 1) {
        const pipe = ctx.zstd ? zstdPipe(ctx.zstd.program, ctx.zstd.level) : undefined;
        const tool = spawnTool('pg_dump', pgDump, ['-Fc', ...base], {
          env: ctx.env,
          stdout: pipe?.stdin ?? 'pipe',
          signal: snap.signal,
          operation: 'backup',
        });
        pipe?.attach(tool);
        try {
          if (tool.child.pid) ctx.onSpawn?.({ tool: 'pg_dump', pid: tool.child.pid });
          objects.push(
            pipe
              ? await ctx.store('dump.pgdump', 'custom-dump', pipe.output, pipe)
              : await ctx.store('dump.pgdump', 'custom-dump', gatedOutput(tool)),
          );
          await tool.exited;
        } catch (err) {
          // Both ends of the OS pipe: pg_dump, and the zstd that would block on output nobody reads.
          await Promise.all([tool.stop(), pipe?.stop()]);
          throw ctx.signal?.aborted ? abortError(ctx.signal, 'backup') : err;
        }
      } else {
        format = 'directory';
        const dir = await mkdtemp(join(ctx.tempDir, 'vhbk-dump-'));
        try {
          const out = join(dir, 'dump');
          const tool = spawnTool('pg_dump', pgDump, ['-Fd', `-j${jobs}`, '-f', out, ...base], {
            env: ctx.env,
            stdout: 'ignore',
            signal: snap.signal,
            operation: 'backup',
          });
          if (tool.child.pid) ctx.onSpawn?.({ tool: 'pg_dump', pid: tool.child.pid });
          await tool.exited;
          // toc.dat first so a reader can list the archive from the first object.
          const files = (await readdir(out)).sort((a, b) =>
            a === 'toc.dat' ? -1 : b === 'toc.dat' ? 1 : a.localeCompare(b),
          );
          for (const f of files)
            objects.push(await ctx.store(`dir/${f}`, 'directory-file', createReadStream(join(out, f))));
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      return { snapshotId: snap.snapshotId, rowCounts: await snap.rowCounts, lsn: snap.currentLsn };
    },
  );
  return { format, objects, rowCounts, snapshotId, wal: { currentLsn: lsn } };
}

async function dumpGlobals(ctx: DumpContext) {
  const tool = spawnTool(
    'pg_dumpall',
    ctx.toolPath('pg_dumpall'),
    ['--globals-only', '--no-password', `--database=${ctx.database}`],
    { env: ctx.env, signal: ctx.signal, operation: 'backup' },
  );
  if (tool.child.pid) ctx.onSpawn?.({ tool: 'pg_dumpall', pid: tool.child.pid });
  try {
    const obj = await ctx.store('globals.sql', 'globals', gatedOutput(tool));
    await tool.exited;
    return obj;
  } catch (err) {
    await tool.stop();
    throw err;
  }
}
