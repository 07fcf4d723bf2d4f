import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { nextSegmentNames, parseWalName, WalSpool } from '@voicehive/db-backup';
import { isDbrsError } from '@voicehive/db-core';
import type { CommandContext } from '../context.js';
import { EXIT, formatError, UsageError } from '../errors.js';
import { WAL_FETCH_EXIT } from './wal-exit.js';
import { openArchive } from './wal-open.js';
import { asyncPushSettings, walPushAsync } from './wal-push-async.js';

/** Segments `wal fetch` prefetches by default (WAL-G prefetches 8, pgBackRest's queue is size-based). */
const DEFAULT_PREFETCH = 8;

export async function walPush(ctx: CommandContext): Promise<number> {
  const path = ctx.positionals[0];
  if (!path) throw new UsageError("wal push needs the WAL file's path (archive_command = 'dbrs wal push %p')");
  if (asyncPushSettings(ctx, path).async) return walPushAsync(ctx, path);
  await using opened = await openArchive(ctx, 'read-write');
  const r = await opened.archive.push(path, { signal: ctx.signal });
  if (ctx.json || ctx.values['verbose'] === true)
    ctx.print(`${r.name} ${r.status} (${r.storedBytes} bytes stored, ${r.durationMs} ms)`, r);
  return EXIT.OK;
}

export async function walFetch(ctx: CommandContext): Promise<number> {
  const [name, dest] = ctx.positionals;
  if (!name || !dest)
    throw new UsageError(
      "wal fetch needs a WAL file name and a destination (restore_command = 'dbrs wal fetch %f %p')",
    );
  if (!parseWalName(name)) {
    ctx.io.stderr.write(
      `dbrs: error [INVALID_ARGUMENT]: ${JSON.stringify(name.slice(0, 80))} is not a WAL file name.\n`,
    );
    return WAL_FETCH_EXIT.FATAL;
  }
  const depth = ctx.num('prefetch') ?? DEFAULT_PREFETCH;
  const spoolDir = ctx.str('spool-dir') ?? join(ctx.io.cwd, 'pg_wal', '.dbrs-prefetch');
  try {
    await using opened = await openArchive(ctx, 'read-only');
    const spool = new WalSpool({ archive: opened.archive, dir: spoolDir });
    const fromSpool = depth > 0 && (await spool.take(name, dest));
    if (!fromSpool) await opened.archive.fetch(name, dest, { signal: ctx.signal });
    if (depth > 0 && parseWalName(name)?.kind === 'segment') startPrefetch(ctx, name, depth, spoolDir);
    return WAL_FETCH_EXIT.FOUND;
  } catch (err) {
    if (isDbrsError(err, 'NOT_FOUND')) return WAL_FETCH_EXIT.MISSING;
    ctx.io.stderr.write(`${formatError(err)}\n`);
    return WAL_FETCH_EXIT.FATAL;
  }
}

/** A detached `dbrs wal prefetch`: this process returns to PostgreSQL at once, the next files download meanwhile. */
function startPrefetch(ctx: CommandContext, name: string, depth: number, spoolDir: string): void {
  const script = process.argv[1];
  if (!script) return;
  const forward = ['config', 'url', 'key-cache'].flatMap((k) => (ctx.str(k) ? [`--${k}`, ctx.str(k)!] : []));
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      script,
      'wal',
      'prefetch',
      name,
      '--prefetch',
      String(depth),
      '--spool-dir',
      spoolDir,
      ...forward,
    ],
    { detached: true, stdio: 'ignore', cwd: ctx.io.cwd, env: ctx.io.env },
  );
  child.on('error', () => {});
  child.unref();
}

export async function walPrefetch(ctx: CommandContext): Promise<number> {
  const name = ctx.positionals[0];
  const spoolDir = ctx.str('spool-dir');
  if (!name || !spoolDir) throw new UsageError('wal prefetch needs a WAL file name and --spool-dir');
  await using opened = await openArchive(ctx, 'read-only');
  const spool = new WalSpool({ archive: opened.archive, dir: spoolDir });
  const r = await spool.prefetch(nextSegmentNames(name, ctx.num('prefetch') ?? DEFAULT_PREFETCH), ctx.signal);
  ctx.print(r.fetched.join('\n'), r);
  return EXIT.OK;
}
