import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ManifestObject } from '../catalog/manifest.js';
import { followFile, whenFileAppears } from '../tools/follow-file.js';
import type { RunningTool } from '../tools/spawn.js';
import type { DumpContext } from './context.js';

/** The parts of pg_basebackup's backup_manifest read here. */
export interface PgBackupManifest {
  'WAL-Ranges'?: Array<{ Timeline: number; 'Start-LSN': string; 'End-LSN': string }>;
  Files?: Array<{ Path: string; Size: number }>;
}

/**
 * Stores what pg_basebackup writes into `out` while it still writes it. The
 * base tar (nearly all the bytes) is followed as it grows and stored at the
 * same time; pg_wal.tar (the tar WAL writer seeks back to fix headers, so
 * it is final only at exit), tablespace tars and backup_manifest are stored
 * after the tool exited 0. A FIFO in place of the base tar would save the
 * temp-disk write too, but pg_basebackup refuses a -D directory that is not
 * empty, so the FIFO could only be made after its check: a race.
 *
 * Rejects with the tool's failure when it fails or is killed (the follow
 * stream fails, so the store aborts and leaves nothing), and with the
 * storage's failure when storing fails; the caller then stops the tool.
 */
export async function storeWhileWritten(
  ctx: DumpContext,
  tool: RunningTool,
  out: string,
  clientZstd: boolean,
): Promise<{ manifest: PgBackupManifest; objects: ManifestObject[] }> {
  let manifest: PgBackupManifest = {};
  // The follower ends only after this: the base tar's raw size comes from the manifest, read before its store ends.
  const finished = tool.exited.then(async () => {
    manifest = JSON.parse(await readFile(join(out, 'backup_manifest'), 'utf8')) as PgBackupManifest;
  });
  finished.catch(() => {});
  // pg_basebackup's own zstd hides the tar size; the data bytes it holds are in its manifest.
  const dataBytes = () => (manifest.Files ?? []).reduce((n, f) => n + f.Size, 0);
  const baseFile = clientZstd ? 'base.tar.zst' : 'base.tar';
  const objects: ManifestObject[] = [];
  // Bounded by the tool's life: one that fails before creating the file (bad credentials) ends this wait.
  if (await whenFileAppears(join(out, baseFile), { writerDone: finished })) {
    const growing = followFile(join(out, baseFile), { writerDone: finished });
    objects.push(await storeFile(ctx, baseFile, growing, dataBytes));
  }
  await finished;
  for (const f of await readdir(out)) {
    if (objects.length > 0 && f === baseFile) continue;
    objects.push(await storeFile(ctx, f, createReadStream(join(out, f), { highWaterMark: 1 << 18 }), dataBytes));
  }
  // Tars by name, manifest last: it describes the tars, and pg_verifybackup reads it first.
  objects.sort((a, b) =>
    a.path === 'backup_manifest' ? 1 : b.path === 'backup_manifest' ? -1 : a.path.localeCompare(b.path),
  );
  return { manifest, objects };
}

async function storeFile(ctx: DumpContext, f: string, source: Readable, dataBytes: () => number) {
  const role = f === 'backup_manifest' ? 'backup-manifest' : f.startsWith('pg_wal.tar') ? 'wal-tar' : 'base-tar';
  if (!f.endsWith('.tar.zst')) return ctx.store(f, role, source);
  // Already zstd: stored as if our pipeline had compressed it, so reads decompress it the same way.
  const path = f.slice(0, -'.zst'.length);
  return ctx.store(path, role, source, { rawBytes: () => (path === 'base.tar' ? dataBytes() : 0) });
}
