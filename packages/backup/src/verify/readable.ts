import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DbrsError } from '@voicehive/db-core';
import type { BackupManifest } from '../catalog/manifest.js';
import type { PgTool } from '../kinds.js';
import type { ObjectOpener } from '../restore/fetch.js';
import { feedTool } from '../tools/feed.js';
import { spawnTool } from '../tools/spawn.js';

export interface ReadableCheckOptions {
  manifest: BackupManifest;
  opener: ObjectOpener;
  toolPath(tool: PgTool): string;
  tempDir: string;
  signal?: AbortSignal;
  /** Physical: lays the backup out (an incremental's chain combined); default its own tars. */
  layOut?: (dir: string, signal?: AbortSignal) => Promise<void>;
}

/**
 * Level 2: every object decrypts and decompresses to the end (each object's
 * SHA-256 and every AEAD chunk checked), and the tool accepts the result:
 * `pg_restore --list` for logical backups, `pg_verifybackup` for physical.
 */
export async function verifyReadable(o: ReadableCheckOptions): Promise<{ tocEntries?: number }> {
  if (o.manifest.type === 'physical') {
    await verifyPhysical(o);
    return {};
  }
  if (o.manifest.format === 'custom') {
    const dump = o.manifest.objects.find((x) => x.role === 'custom-dump');
    if (!dump) throw new DbrsError('VERIFY_FAILED', 'The manifest lists no custom-format dump object.');
    // Opened before pg_restore starts: a missing key fails here with no child to clean up.
    const source = await o.opener.open(dump, o.signal);
    const tool = spawnTool('pg_restore', o.toolPath('pg_restore'), ['--list'], {
      env: process.env,
      stdin: 'pipe',
      signal: o.signal,
      operation: 'verification',
    });
    let listing = '';
    tool.child.stdout!.on('data', (d: Buffer) => {
      listing += d.toString();
    });
    try {
      // pg_restore may stop reading after the TOC; keep draining so the whole object is still decrypted and hashed.
      await pipeline(source, feedThenDiscard(tool.child.stdin!), { signal: o.signal });
      await tool.exited;
    } finally {
      // A stream that failed (wrong key, tampered chunk) leaves pg_restore waiting on stdin: it must not outlive us.
      await tool.stop();
    }
    for (const other of o.manifest.objects.filter((x) => x !== dump)) await drain(o, other);
    return { tocEntries: countEntries(listing) };
  }
  const dir = await mkdtemp(join(o.tempDir, 'vhbk-verify-'));
  try {
    const input = join(dir, 'dump');
    for (const obj of o.manifest.objects) {
      if (obj.role === 'directory-file')
        await o.opener.toFile(obj, join(input, obj.path.replace(/^dir\//, '')), o.signal);
      else await drain(o, obj);
    }
    const tool = spawnTool('pg_restore', o.toolPath('pg_restore'), ['--list', input], {
      env: process.env,
      signal: o.signal,
      operation: 'verification',
    });
    let listing = '';
    tool.child.stdout!.on('data', (d: Buffer) => {
      listing += d.toString();
    });
    await tool.exited.finally(() => tool.stop());
    return { tocEntries: countEntries(listing) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function countEntries(listing: string): number {
  return listing.split('\n').filter((l) => l && !l.startsWith(';')).length;
}

async function drain(o: ReadableCheckOptions, obj: BackupManifest['objects'][number]): Promise<void> {
  await pipeline(await o.opener.open(obj, o.signal), new Writable({ write: (_c, _e, cb) => cb() }), {
    signal: o.signal,
  });
}

function feedThenDiscard(
  target: NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean; on: Writable['on'] },
): Writable {
  let open = true;
  target.on('error', () => {
    open = false;
  });
  target.on('close', () => {
    open = false;
  });
  return new Writable({
    highWaterMark: 1 << 18,
    write(chunk, _enc, cb) {
      if (!open) return cb();
      if (target.write(chunk)) cb();
      else {
        const done = () => {
          target.removeListener('drain', done);
          target.removeListener('close', done);
          cb();
        };
        target.on('drain', done);
        target.on('close', done);
      }
    },
    final(cb) {
      if (open) target.end();
      cb();
    },
  });
}

/** Extracts base.tar and pg_wal.tar into a directory and runs pg_verifybackup on it. */
async function verifyPhysical(o: ReadableCheckOptions): Promise<void> {
  const dir = await mkdtemp(join(o.tempDir, 'vhbk-verify-'));
  try {
    const data = join(dir, 'data');
    if (o.layOut) await o.layOut(data, o.signal);
    else await extractPhysical(o, data);
    await runPgVerifybackup(o.toolPath, data);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pg_verifybackup on a laid-out data directory (before any server has started on it). */
export async function runPgVerifybackup(toolPath: (tool: PgTool) => string, data: string): Promise<void> {
  const tool = spawnTool('pg_verifybackup', toolPath('pg_verifybackup'), [data], {
    env: process.env,
    stdout: 'ignore',
  });
  await tool.exited;
}

/** Lays a physical backup out as a data directory (what pg_verifybackup and a restore need). */
export async function extractPhysical(
  o: Omit<ReadableCheckOptions, 'toolPath' | 'tempDir' | 'layOut'>,
  data: string,
): Promise<void> {
  await mkdir(data, { recursive: true, mode: 0o700 });
  for (const obj of o.manifest.objects) {
    if (obj.role === 'backup-manifest') {
      await o.opener.toFile(obj, join(data, 'backup_manifest'), o.signal);
      continue;
    }
    const into =
      obj.role === 'wal-tar'
        ? join(data, 'pg_wal')
        : obj.path === 'base.tar'
          ? data
          : join(data, 'pg_tblspc', obj.path.replace(/\.tar$/, ''));
    await mkdir(into, { recursive: true, mode: 0o700 });
    const tar = spawnTool('tar', 'tar', ['-x', '-f', '-', '-C', into], {
      env: process.env,
      stdin: 'pipe',
      stdout: 'ignore',
      signal: o.signal,
      operation: 'verification',
    });
    // A failed download (wrong key, storage down) is the cause; tar then failing on the short stream is its echo.
    await feedTool(tar, await o.opener.open(obj, o.signal), { signal: o.signal, operation: 'verification' });
  }
}
