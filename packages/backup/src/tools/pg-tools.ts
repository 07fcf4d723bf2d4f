import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DbrsError, errorMessage } from '@voicehive/db-core';
import { findExecutable, isExecutable } from '@voicehive/db-core/internal';
import type { PgTool } from '../kinds.js';

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
