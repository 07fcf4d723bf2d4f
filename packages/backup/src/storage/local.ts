import { randomUUID } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { access, type FileHandle, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { DbrsError, throwIfAborted } from '@voicehive/db-core';
import { destroyOnAbort } from './download-stream.js';
import { RESERVED_MARKER, validateKey, validatePrefix } from './keys.js';
import { StorageBase } from './storage-base.js';
import type {
  AbandonedUpload,
  BackupStorage,
  GetOptions,
  ListOptions,
  ObjectInfo,
  PutOptions,
  SweepOptions,
} from './types.js';
import { progressCounter, type UploadSource } from './upload-source.js';

export interface LocalStorageOptions {
  /** Root directory of the backups; created on first write. Relative paths resolve against the process cwd. */
  path: string;
}

const SIDECAR_SUFFIX = `${RESERVED_MARKER}meta.json`;
const TEMP_PREFIX = `${RESERVED_MARKER}tmp-`;
// Coalesce small chunks (age/zstd emit 64 KiB) into fewer write syscalls.
const WRITE_BATCH_BYTES = 1024 * 1024;

interface Sidecar {
  metadata: Record<string, string>;
  contentType?: string;
}

/**
 * Backups on a local or mounted file system. A put writes to a temporary name
 * in the target directory, fsyncs it, renames it into place and fsyncs the
 * directory, so a crash or failure never leaves a partial file under the final
 * name. Metadata lives in a `<name>.dbrs-meta.json` sidecar written (and
 * renamed) just before the data file; sidecars and temp files never appear in
 * `list`. (Overwriting an existing key has a crash window where the old data
 * carries the new sidecar; backups never overwrite, they write new keys.)
 */
export class LocalStorage extends StorageBase implements BackupStorage {
  readonly kind = 'local' as const;
  readonly location: string;
  private readonly root: string;

  constructor(options: LocalStorageOptions) {
    super();
    if (typeof options?.path !== 'string' || options.path.trim() === '') {
      throw new DbrsError('CONFIG_INVALID', 'LocalStorage needs a directory path.', {
        hint: 'Set `localPath` (BACKUP_LOCAL_PATH) to the directory that should hold the backups.',
      });
    }
    this.root = resolve(options.path);
    this.location = this.root;
  }

  /** Creates the root directory and checks that it is writable. */
  async ensure(): Promise<void> {
    this.assertOpen();
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, fsConstants.W_OK);
    } catch (error) {
      throw mapFsError(error, this.root, 'prepare');
    }
  }

  protected async putObject(
    key: string,
    source: UploadSource,
    metadata: Record<string, string>,
    options: PutOptions,
  ): Promise<{ key: string; size: number }> {
    const finalPath = this.pathOf(key);
    const dir = dirname(finalPath);
    const tempData = join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    const tempMeta = join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    const count = progressCounter(options.onProgress);
    let size = 0;
    try {
      source.throwIfAborted();
      await mkdir(dir, { recursive: true });
      const handle = await open(tempData, 'wx', 0o600);
      try {
        let batch: Buffer[] = [];
        let batched = 0;
        const flush = async () => {
          if (batched === 0) return;
          // writev, not Buffer.concat: no extra copy of every byte for the GC to collect.
          const parts = batch;
          const n = batched;
          batch = [];
          batched = 0;
          await writeAll(handle, parts, n);
          count(n);
        };
        for await (const buffer of source.chunks()) {
          batch.push(buffer);
          batched += buffer.length;
          size += buffer.length;
          if (batched >= WRITE_BATCH_BYTES) await flush();
        }
        await flush();
        await handle.sync();
      } finally {
        await handle.close();
      }
      const sidecar: Sidecar = { metadata, ...(options.contentType ? { contentType: options.contentType } : {}) };
      await writeDurably(tempMeta, JSON.stringify(sidecar));
      source.throwIfAborted();
      await rename(tempMeta, finalPath + SIDECAR_SUFFIX);
      await rename(tempData, finalPath);
      await fsyncDirectory(dir);
      return { key, size };
    } catch (error) {
      source.dispose(error);
      await Promise.all([rm(tempData, { force: true }), rm(tempMeta, { force: true })]);
      throw source.failure(error, (e) => mapFsError(e, finalPath, 'write'));
    }
  }

  protected async getObject(key: string, options: GetOptions): Promise<Readable> {
    const path = this.pathOf(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      }
    } catch (error) {
      if (isMissing(error)) throw notFound(key, this.location);
      throw mapFsError(error, path, 'read');
    }
    const stream = handle.createReadStream({ start: options.range?.start, end: options.range?.end, autoClose: true });
    return destroyOnAbort(stream, options.signal, `download of "${key}"`);
  }

  protected async headObject(key: string, _options: { signal?: AbortSignal }): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    let info: Stats;
    try {
      info = await stat(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw mapFsError(error, path, 'read');
    }
    if (!info.isFile()) return undefined;
    return { key, size: info.size, lastModified: info.mtime, metadata: (await this.readSidecar(path)).metadata };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    this.assertOpen();
    validatePrefix(prefix);
    const { signal } = options;
    throwIfAborted(signal, 'listing');
    const slash = prefix.lastIndexOf('/');
    const startKey = slash === -1 ? '' : prefix.slice(0, slash);
    const keys: string[] = [];
    await this.walk(startKey, prefix, keys, signal);
    keys.sort();
    for (const key of keys) {
      throwIfAborted(signal, 'listing');
      const info = await this.head(key);
      // Deleted between the walk and now: not an error, just gone.
      if (info) yield info;
    }
  }

  protected async deleteObject(key: string, _options: { signal?: AbortSignal }): Promise<void> {
    const path = this.pathOf(key);
    try {
      await rm(path, { force: true });
      await rm(path + SIDECAR_SUFFIX, { force: true });
    } catch (error) {
      throw mapFsError(error, path, 'delete');
    }
  }

  override async deleteMany(keys: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    for (const key of keys) validateKey(key);
    for (const key of keys) {
      throwIfAborted(options.signal);
      await this.delete(key);
    }
  }

  /**
   * Temporary files (`.dbrs-tmp-*`) of puts that never finished (the process
   * was killed before its cleanup ran), and metadata sidecars whose data file
   * never arrived; then the folders that leaves empty.
   */
  async sweepAbandoned(options: SweepOptions): Promise<AbandonedUpload[]> {
    this.assertOpen();
    const found: Array<AbandonedUpload & { path: string }> = [];
    const visit = async (dir: string): Promise<void> => {
      throwIfAborted(options.signal, 'cleanup');
      const entries = await readdir(dir, { withFileTypes: true }).catch((error) => {
        if (isMissing(error)) return [] as Dirent[];
        throw mapFsError(error, dir, 'list');
      });
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await visit(path);
        else if (entry.isFile() && (await this.isAbandoned(path, entry.name, options.olderThan))) {
          const info = await stat(path).catch(() => undefined);
          if (!info) continue;
          const key = path
            .slice(this.root.length + 1)
            .split(sep)
            .join('/');
          found.push({ key, path, startedAt: info.mtime, bytes: info.size });
        }
      }
    };
    await visit(this.root);
    if (!options.dryRun) {
      for (const f of found) {
        await rm(f.path, { force: true }).catch((error) => {
          throw mapFsError(error, f.path, 'delete');
        });
        await this.removeEmptyParents(dirname(f.path));
      }
    }
    return found.map(({ path: _, ...rest }) => rest);
  }

  private async isAbandoned(path: string, name: string, olderThan: Date): Promise<boolean> {
    const temp = name.startsWith(TEMP_PREFIX);
    const orphanSidecar =
      name.endsWith(SIDECAR_SUFFIX) && !(await stat(path.slice(0, -SIDECAR_SUFFIX.length)).catch(() => undefined));
    if (!temp && !orphanSidecar) return false;
    const info = await stat(path).catch(() => undefined);
    return info !== undefined && info.mtime < olderThan;
  }

  /** A backup folder that held only temporaries is removed with them (never the root). */
  private async removeEmptyParents(dir: string): Promise<void> {
    while (dir.startsWith(this.root + sep)) {
      const entries = await readdir(dir).catch(() => undefined);
      if (!entries || entries.length > 0) return;
      await rmdir(dir).catch(() => {});
      dir = dirname(dir);
    }
  }

  private pathOf(key: string): string {
    const path = join(this.root, ...key.split('/'));
    // validateKey already rules out "..", this is defence in depth.
    if (!path.startsWith(this.root + sep)) {
      throw new DbrsError('INVALID_ARGUMENT', `Storage key ${JSON.stringify(key)} escapes ${this.root}.`);
    }
    return path;
  }

  private async readSidecar(path: string): Promise<Sidecar> {
    try {
      const parsed = JSON.parse(await readFile(path + SIDECAR_SUFFIX, 'utf8')) as Partial<Sidecar>;
      return { metadata: parsed.metadata ?? {}, ...(parsed.contentType ? { contentType: parsed.contentType } : {}) };
    } catch (error) {
      // Files copied in by hand have no sidecar; they simply have no metadata.
      if (isMissing(error)) return { metadata: {} };
      throw mapFsError(error, path + SIDECAR_SUFFIX, 'read');
    }
  }

  private async walk(dirKey: string, prefix: string, out: string[], signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal, 'listing');
    const dirPath = dirKey === '' ? this.root : this.pathOf(dirKey);
    let entries: Dirent[];
    try {
      entries = await readdir(dirPath, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw mapFsError(error, dirPath, 'list');
    }
    for (const entry of entries) {
      if (entry.name.includes(RESERVED_MARKER)) continue;
      const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        const asFolder = `${key}/`;
        if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) await this.walk(key, prefix, out, signal);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable: without it a crash can forget the new directory entry. */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) cannot fsync a directory; the data file itself is synced.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function notFound(key: string, location: string): DbrsError {
  return new DbrsError('NOT_FOUND', `No object "${key}" in ${location}.`, { details: { key, location } });
}

function mapFsError(error: unknown, path: string, action: string): DbrsError {
  const code = (error as NodeJS.ErrnoException)?.code;
  const details = { path, errno: code };
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new DbrsError('STORAGE_FAILED', `No space left on the device while writing ${path} (${code}).`, {
        hint: 'Free disk space or point `localPath` at a larger volume; nothing was stored under the final name.',
        cause: error,
        details,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new DbrsError('STORAGE_FAILED', `Permission denied to ${action} ${path} (${code}).`, {
        hint: 'Check that the process user can write to `localPath` and that the volume is not read-only.',
        cause: error,
        details,
      });
    default:
      return new DbrsError(
        'STORAGE_FAILED',
        `Could not ${action} ${path}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error, details },
      );
  }
}

/** Writes all of `parts` (writev may write less than asked, like write). */
async function writeAll(handle: FileHandle, parts: Buffer[], total: number): Promise<void> {
  let { bytesWritten } = await handle.writev(parts);
  while (bytesWritten < total) {
    const rest: Buffer[] = [];
    let skip = bytesWritten;
    for (const p of parts) {
      if (skip >= p.length) skip -= p.length;
      else {
        rest.push(skip ? p.subarray(skip) : p);
        skip = 0;
      }
    }
    parts = rest;
    total -= bytesWritten;
    ({ bytesWritten } = await handle.writev(parts));
  }
}
