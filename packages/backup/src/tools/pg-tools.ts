import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { abortError, DbrsError, errorMessage } from '@voicehive/db-core';
import { findExecutable, isExecutable } from '@voicehive/db-core/internal';
import type { PgTool } from '../kinds.js';
import { reaper } from './reap.js';

const execFileAsync = promisify(execFile);

export interface ToolLocatorOptions {
  binDir?: string;
  toolPaths?: Partial<Record<PgTool, string>>;
  /** Server major: its Debian bin dir is the fallback for tools not on PATH (pg_verifybackup). */
  serverMajor?: number;
  pathEnv?: string;
}

/** Absolute path of a PostgreSQL client tool, or TOOL_MISSING naming where it looked. */
export function locateTool(tool: PgTool, options: ToolLocatorOptions = {}): string {
  const explicit = options.toolPaths?.[tool];
  const looked: string[] = [];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    looked.push(explicit);
  } else if (options.binDir) {
    const p = join(options.binDir, tool);
    if (isExecutable(p)) return p;
    looked.push(p);
  } else {
    const onPath = findExecutable(tool, { ...(options.pathEnv !== undefined ? { pathEnv: options.pathEnv } : {}) });
    if (onPath) return onPath;
    looked.push('PATH');
    if (options.serverMajor) {
      const p = `/usr/lib/postgresql/${options.serverMajor}/bin/${tool}`;
      if (isExecutable(p)) return p;
      looked.push(p);
    }
  }
  throw new DbrsError('TOOL_MISSING', `${tool} was not found (looked in ${looked.join(', ')}).`, {
    hint: `Install the PostgreSQL client tools of the server's major version or newer, or set binDir / toolPaths.${tool}.`,
    details: { tool, looked },
  });
}

export interface ToolVersion {
  major: number;
  text: string;
}

/** Parses `pg_dump (PostgreSQL) 15.18 (Debian …)` → { major: 15 }. */
export function parseToolVersion(output: string): ToolVersion | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return undefined;
  const first = Number(m[1]);
  // Before 10 the major was two parts (9.6).
  const major = first < 10 && m[2] !== undefined ? Number(`${first}.${m[2]}`) : first;
  return { major, text: output.trim().split('\n')[0]! };
}

export async function toolVersion(path: string, tool: PgTool): Promise<ToolVersion> {
  let out: string;
  try {
    out = (await execFileAsync(path, ['--version'], { timeout: 10_000 })).stdout;
  } catch (cause) {
    throw new DbrsError('TOOL_MISSING', `Cannot run ${tool} at ${path}: ${errorMessage(cause)}`, { cause });
  }
  const v = parseToolVersion(out);
  if (!v) throw new DbrsError('TOOL_FAILED', `Cannot read the version of ${tool} from "${out.trim().slice(0, 200)}".`);
  return v;
}

/** Tools must be the server's major version or newer (older ones refuse or produce incomplete dumps). */
export function assertToolVersion(tool: PgTool, version: ToolVersion, serverMajor: number, serverText: string): void {
  if (version.major < serverMajor) {
    throw new DbrsError(
      'TOOL_VERSION_MISMATCH',
      `${tool} is version ${version.major} (${version.text}) but the server is PostgreSQL ${serverMajor} (${serverText}).`,
      {
        hint: `Install ${tool} ${serverMajor} or newer (Debian: postgresql-client-${serverMajor}) or point binDir at it.`,
        details: { tool, toolMajor: version.major, serverMajor },
      },
    );
  }
}

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
  });
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
  // A pipe the tool closed early (it exited) must not become an unhandled stream error.
  child.stdin?.on('error', () => {});
  const signal = options.signal;
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  const stop = reaper(child);
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
        new DbrsError('TOOL_FAILED', `${tool} ${how}${stderr ? `: ${stderr.trim().slice(0, 2000)}` : '.'}`, {
          details: { tool, code, signal: sig },
        }),
      );
    });
  });
  exited.catch(() => {});
  if (signal?.aborted) onAbort();
  return { child, exited, stderr: () => stderr, stop };
}
