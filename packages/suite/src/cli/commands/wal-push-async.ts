import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pushThroughWorker, runPushWorker, type StartedWorker, WORKER_LOG } from '@voicehive/db-backup';
import { createLogger } from '@voicehive/db-core';
import { backupPlanOf } from '../../components/backup.js';
import { commandConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { openArchive } from './wal-open.js';

/**
 * Flags the background worker gets from the command that starts it. Never a
 * secret: the key and the database URL (with its password) travel in its
 * environment, since the worker's command line is visible in `ps` for its whole life.
 */
const FORWARDED = ['config', 'key-cache'] as const;

/** The asynchronous push's settings: flags over the `backup` section's walPush* keys. */
export function asyncPushSettings(ctx: CommandContext, path: string) {
  const { walPush } = backupPlanOf(commandConfig(ctx).config);
  const walDir = resolve(ctx.io.cwd, dirname(path));
  const spool = ctx.str('spool-dir') ?? walPush.spoolPath;
  return {
    async: ctx.values['async'] === true || walPush.async,
    // Next to the WAL by default: inside pg_wal, which neither pg_basebackup nor PostgreSQL's WAL recycling touches.
    spoolDir: spool ? resolve(ctx.io.cwd, spool) : join(walDir, '.dbrs-push'),
    timeoutMs: (ctx.num('timeout') ?? walPush.timeoutSeconds) * 1000,
    jobs: ctx.num('jobs') ?? walPush.jobs,
  };
}

/** `dbrs wal push %p --async`: wait for the background worker's verdict on this file. */
export async function walPushAsync(ctx: CommandContext, path: string): Promise<number> {
  const s = asyncPushSettings(ctx, path);
  if (!(s.timeoutMs > 0)) throw new UsageError('--timeout expects a number of seconds above 0');
  const r = await pushThroughWorker({
    path: resolve(ctx.io.cwd, path),
    spoolDir: s.spoolDir,
    timeoutMs: s.timeoutMs,
    signal: ctx.signal,
    startWorker: (walDir) => startWorker(ctx, walDir, s.spoolDir, s.jobs),
  });
  if (ctx.json || ctx.values['verbose'] === true)
    ctx.print(`${r.name} ${r.detail} (background worker, waited ${r.waitedMs} ms)`, r);
  return EXIT.OK;
}

/**
 * A detached `dbrs wal push-worker`: it outlives this command (PostgreSQL
 * runs the next archive_command meanwhile). Its stderr is appended to
 * `<spool>/worker.log`, where an operator finds why pushes fail.
 */
function startWorker(ctx: CommandContext, walDir: string, spoolDir: string, jobs: number): StartedWorker {
  const script = process.argv[1];
  if (!script) return { running: () => false };
  const forward = FORWARDED.flatMap((k) => (ctx.str(k) ? [`--${k}`, ctx.str(k)!] : []));
  const log = openSync(join(spoolDir, WORKER_LOG), 'a', 0o600);
  const url = ctx.str('url');
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      script,
      'wal',
      'push-worker',
      walDir,
      '--spool-dir',
      spoolDir,
      '--jobs',
      String(jobs),
      ...forward,
    ],
    // --url wins over DATABASE_URL in the worker exactly as here (cli/config.ts), so passing it this way changes nothing else.
    {
      detached: true,
      stdio: ['ignore', 'ignore', log],
      cwd: ctx.io.cwd,
      env: url ? { ...ctx.io.env, DATABASE_URL: url } : ctx.io.env,
    },
  );
  // The child holds its own copy; ours would leak one descriptor per start.
  closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', () => {
    exited = true;
  });
  child.unref();
  return { running: () => !exited };
}

/** `dbrs wal push-worker <pg_wal>`: the background worker (started by `wal push --async`, not by hand). */
export async function walPushWorker(ctx: CommandContext): Promise<number> {
  const walDir = ctx.positionals[0];
  const spoolDir = ctx.str('spool-dir');
  if (!walDir || !spoolDir) throw new UsageError('wal push-worker needs the pg_wal directory and --spool-dir');
  await mkdir(spoolDir, { recursive: true, mode: 0o700 });
  await using opened = await openArchive(ctx, 'read-write');
  const r = await runPushWorker({
    archive: opened.archive,
    walDir: resolve(ctx.io.cwd, walDir),
    spoolDir: resolve(ctx.io.cwd, spoolDir),
    concurrency: ctx.num('jobs') ?? 2,
    idleMs: (ctx.num('idle') ?? 10) * 1000,
    // Start, stop and failures go to worker.log (this process's stderr); the status files carry failures to PostgreSQL.
    logger: createLogger({
      level: ctx.values['verbose'] === true ? 'debug' : 'info',
      destination: process.stderr as never,
    }),
    signal: ctx.signal,
  });
  ctx.print(
    r.ran ? `pushed ${r.pushed.length}, failed ${r.failed.length}` : 'another worker holds the spool; nothing to do',
    r,
  );
  return EXIT.OK;
}
