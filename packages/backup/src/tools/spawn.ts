import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { abortError, DbrsError } from '@voicehive/db-core';
import { reaper } from '@voicehive/db-core/internal';
import type { PgTool } from '../kinds.js';

export interface RunningTool {
  child: ChildProcess;
  /**
   * Resolves on exit 0; rejects with TOOL_FAILED quoting stderr (never the
   * environment), or with the abort error when the signal stopped it.
   */
  exited: Promise<void>;
  stderr(): string;
  /** SIGKILLs the tool if it still runs and resolves once it has been reaped. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnToolOptions {
  env: NodeJS.ProcessEnv;
  stdin?: 'pipe' | 'ignore';
  stdout?: 'pipe' | 'ignore' | Writable;
  cwd?: string;
  /** Characters of stderr kept. Default 16384. */
  stderrLimit?: number;
  /** Aborting sends SIGTERM (the tool's own clean stop) and `exited` rejects with the abort error. */
  signal?: AbortSignal;
  /** Names the operation in the abort error ("The backup was aborted."). Default the tool's name. */
  operation?: string;
  /**
   * Sees each complete stderr line first; returning true consumes it (a
   * `--verbose` progress line), so only the rest is kept for the error text.
   */
  onStderrLine?: (line: string) => boolean;
  /**
   * The tool forks helpers that outlive it when it is killed (pg_basebackup's
   * WAL streamer keeps streaming, and holds stderr open, so neither `exited`
   * nor `stop()` would ever settle). It then runs as the leader of its own
   * process group, and the whole group is killed once the tool ends other
   * than with exit 0, or is stopped, or when this process exits. It no longer
   * sees a terminal's Ctrl-C itself: the CLI's SIGINT handler aborts it.
   */
  processGroup?: boolean;
}

/**
 * The one way this package starts a child tool: stderr captured and
 * bounded, exit turned into a promise, abort wired to SIGTERM, and a stop()
 * that every error path can await so no child outlives its operation.
 */
export function spawnTool(
  tool: PgTool | 'zstd' | 'tar',
  path: string,
  args: string[],
  options: SpawnToolOptions,
): RunningTool {
  const child = spawn(path, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: [options.stdin ?? 'ignore', options.stdout ?? 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  const killGroup = options.processGroup ? groupKiller(child) : () => {};
  const stderr = captureStderr(child, options);
  // A pipe the tool closed early (it exited) must not become an unhandled stream error.
  child.stdin?.on('error', () => {});
  const signal = options.signal;
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  const reap = reaper(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) killGroup();
    await reap();
  };
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err) =>
      reject(
        new DbrsError('TOOL_MISSING', `Cannot start ${tool} (${path}): ${err.message}.`, {
          cause: err,
          details: { tool },
        }),
      ),
    );
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      if (signal?.aborted) return reject(abortError(signal, options.operation ?? tool));
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(
        new DbrsError('TOOL_FAILED', `${tool} ${how}${stderr() ? `: ${stderr().trim().slice(0, 2000)}` : '.'}`, {
          details: { tool, code, signal: sig },
        }),
      );
    });
  });
  exited.catch(() => {});
  if (signal?.aborted) onAbort();
  return { child, exited, stderr, stop };
}

/**
 * For a tool run as the leader of its own process group: kills the whole
 * group once the tool ends other than with exit 0, and when this process
 * exits first (the CLI's second signal calls process.exit), since the group
 * is out of reach of the terminal's Ctrl-C. Returns the kill, for stop().
 */
function groupKiller(child: ChildProcess): () => void {
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  // Synchronous, as 'exit' handlers must be.
  const onOurExit = () => killGroup();
  process.once('exit', onOurExit);
  child.once('error', () => process.removeListener('exit', onOurExit));
  // 'exit' comes before 'close', which waits for the pipes the helpers still hold.
  child.on('exit', (code) => {
    process.removeListener('exit', onOurExit);
    if (code !== 0) killGroup();
  });
  return killGroup;
}

/** stderr kept up to the limit, after onStderrLine has taken the lines it consumes. */
function captureStderr(child: ChildProcess, options: SpawnToolOptions): () => string {
  let stderr = '';
  const keep = (text: string) => {
    if (stderr.length < (options.stderrLimit ?? 16_384)) stderr += text;
  };
  const onLine = options.onStderrLine;
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (!onLine) return keep(d.toString());
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (!onLine(line)) keep(`${line}\n`);
  });
  child.stderr!.on('end', () => {
    if (partial && !onLine?.(partial)) keep(partial);
  });
  return () => stderr;
}
