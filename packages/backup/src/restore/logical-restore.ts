import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { abortError, DbrsError, errorMessage } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import type { PgTool } from '../kinds.js';
import { ByteCounter } from '../pipeline/counting.js';
import { feedTool } from '../tools/feed.js';
import { spawnTool } from '../tools/spawn.js';
import type { ObjectOpener } from './fetch.js';
import { type RestoreStepEvent, restoreStepTracker } from './restore-steps.js';

export interface LogicalRestoreOptions {
  manifest: BackupManifest;
  opener: ObjectOpener;
  /** libpq env for the target server; the database is passed by name. */
  env: NodeJS.ProcessEnv;
  targetDatabase: string;
  toolPath(tool: PgTool): string;
  jobs?: number;
  tables?: string[];
  schemaOnly?: boolean;
  clean?: boolean;
  /** Keep the dump's object owners. Default true; false adds --no-owner (roles missing on the target). */
  owners?: boolean;
  tempDir: string;
  /** A local dump already proved by proveBackup(): pg_restore reads it instead of downloading again. */
  localDump?: string;
  signal?: AbortSignal;
  onSpawn?: (info: { tool: PgTool; pid: number }) => void;
  /**
   * Where pg_restore is (runs it with --verbose and reads its info lines) and,
   * when the dump streams into it, the raw bytes fed so far.
   */
  onProgress?: (p: RestoreProgress) => void;
}

export interface RestoreProgress {
  step?: RestoreStepEvent['step'];
  items?: number;
  fedBytes?: number;
}

/** With onProgress: pg_restore's --verbose and a handler that turns its lines into steps. */
function progressHooks(o: LogicalRestoreOptions, fed: () => number | undefined) {
  const onProgress = o.onProgress;
  if (!onProgress) return { args: [] as string[], spawn: {} };
  const onStderrLine = restoreStepTracker((e) => {
    const bytes = fed();
    onProgress({ ...e, ...(bytes !== undefined ? { fedBytes: bytes } : {}) });
  });
  return { args: ['--verbose'], spawn: { onStderrLine } };
}

export function restoreArgs(
  o: Pick<LogicalRestoreOptions, 'targetDatabase' | 'tables' | 'schemaOnly' | 'clean' | 'owners'>,
): string[] {
  const args = ['--no-password', '--exit-on-error', `--dbname=${o.targetDatabase}`];
  if (o.clean) args.push('--clean', '--if-exists');
  if (o.schemaOnly) args.push('--schema-only');
  if (o.owners === false) args.push('--no-owner');
  for (const t of o.tables ?? []) {
    if (typeof t !== 'string' || t === '' || t.startsWith('-')) {
      throw new DbrsError('INVALID_ARGUMENT', `Invalid table name ${JSON.stringify(t)} for restore.`, {
        hint: 'Use "table" or "schema.table".',
      });
    }
    const dot = t.indexOf('.');
    // pg_restore -t takes a bare name; a schema narrows it with -n.
    if (dot > 0) args.push(`--schema=${t.slice(0, dot)}`, `--table=${t.slice(dot + 1)}`);
    else args.push(`--table=${t}`);
  }
  return args;
}

/**
 * Custom format with one job streams storage → decrypt → decompress →
 * pg_restore stdin: no temp copy. pg_restore -j needs a seekable file, so
 * jobs > 1 (and directory-format backups) first download to a temp dir.
 */
export async function logicalRestore(o: LogicalRestoreOptions): Promise<void> {
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
    throw new DbrsError('INVALID_ARGUMENT', `jobs must be 1–64, got ${jobs}.`);
  const pgRestore = o.toolPath('pg_restore');
  const args = restoreArgs(o);
  const dumpObjects = o.manifest.objects.filter((x) => x.role === 'custom-dump' || x.role === 'directory-file');
  if (o.localDump !== undefined) return runFromFile(o, pgRestore, [...args, `--jobs=${jobs}`, o.localDump]);
  if (o.manifest.format === 'custom' && jobs === 1) {
    const obj = dumpObjects[0]!;
    // Counts the raw dump bytes pg_restore has taken: the data step's progress.
    const counter = new ByteCounter(o.onProgress ? (n) => o.onProgress?.({ fedBytes: n }) : undefined);
    const hooks = progressHooks(o, () => counter.bytes);
    const tool = spawnTool('pg_restore', pgRestore, [...args, ...hooks.args], {
      env: o.env,
      stdin: 'pipe',
      stdout: 'ignore',
      signal: o.signal,
      operation: 'restore',
      ...hooks.spawn,
    });
    if (tool.child.pid) o.onSpawn?.({ tool: 'pg_restore', pid: tool.child.pid });
    const source = await o.opener.open(obj, o.signal);
    await feedTool(tool, source, {
      stages: [counter],
      signal: o.signal,
      operation: 'restore',
      toolFailed: restoreFailed,
    });
    return;
  }
  const dir = await mkdtemp(join(o.tempDir, 'vhbk-restore-'));
  try {
    let input: string;
    if (o.manifest.format === 'custom') {
      input = join(dir, 'dump.pgdump');
      await o.opener.toFile(dumpObjects[0]!, input, o.signal);
    } else {
      input = join(dir, 'dump');
      for (const obj of dumpObjects) await o.opener.toFile(obj, join(input, obj.path.replace(/^dir\//, '')), o.signal);
    }
    await runFromFile(o, pgRestore, [...args, `--jobs=${jobs}`, input]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runFromFile(o: LogicalRestoreOptions, pgRestore: string, args: string[]): Promise<void> {
  const hooks = progressHooks(o, () => undefined);
  // Options before the input file: pg_restore takes the last non-option argument as its input.
  const input = args.at(-1)!;
  const tool = spawnTool('pg_restore', pgRestore, [...args.slice(0, -1), ...hooks.args, input], {
    env: o.env,
    stdout: 'ignore',
    signal: o.signal,
    operation: 'restore',
    ...hooks.spawn,
  });
  if (tool.child.pid) o.onSpawn?.({ tool: 'pg_restore', pid: tool.child.pid });
  await tool.exited.catch((err) => {
    throw o.signal?.aborted ? abortError(o.signal, 'restore') : restoreFailed(err);
  });
}

function restoreFailed(err: unknown): DbrsError {
  return new DbrsError('RESTORE_FAILED', `Restore failed: ${errorMessage(err)}`, { cause: err });
}
