import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DbrsError, isDbrsError, type Logger, type Metrics, silentLogger, throwIfAborted } from '@voicehive/db-core';
import type { KeyRing } from '../pipeline/encryption/keyring.js';
import { readObject, writeObject } from '../pipeline/object-io.js';
import type { BackupStorage, ObjectInfo } from '../storage/types.js';
import type { CompressionType } from '../types.js';
import { readSegmentHeader, type SegmentHeader } from './header.js';
import { assertWalName, parseWalName, type WalFileName } from './names.js';
import { type WalMetrics, walMetrics } from './wal-metrics.js';

export interface WalArchiveOptions {
  storage: BackupStorage;
  keyRing: KeyRing;
  compression: CompressionType;
  compressionLevel?: number;
  zstdProgram?: string | false;
  /** Storage folder of the archive. Default `'wal'`; use one per cluster when clusters share a storage. */
  prefix?: string;
  logger?: Logger;
  metrics?: Metrics;
}

export interface ArchivedWal {
  name: string;
  kind: WalFileName['kind'];
  timeline: number;
  key: string;
  storedBytes: number;
  rawBytes: number;
  archivedAt: Date;
  /** SHA-256 of the file as PostgreSQL wrote it. */
  rawSha256?: string;
  systemIdentifier?: string;
  segmentBytes?: number;
}

export interface PushResult {
  name: string;
  /** `stored`: uploaded now; `already-archived`: the identical file was there (a retried archive_command). */
  status: 'stored' | 'already-archived';
  rawBytes: number;
  storedBytes: number;
  durationMs: number;
}

export interface FetchResult {
  name: string;
  rawBytes: number;
  durationMs: number;
}

/** Objects under the archive prefix that are not WAL files live below this folder. */
export const META_FOLDER = '_meta';

/**
 * The WAL archive in the backup storage: every file PostgreSQL hands to
 * archive_command goes through the same compression and encryption as the
 * backups, one object per file under `<prefix>/<name>`, described by object
 * metadata (sizes, SHA-256 of the original, codec, system identifier). A
 * name is written once: the identical file again is a success (archive_command
 * retries after a crash), a different file under the same name is refused,
 * logged, counted, and recorded under `_meta/conflicts/`.
 */
export class WalArchive {
  readonly storage: BackupStorage;
  readonly prefix: string;
  readonly #o: WalArchiveOptions;
  readonly #logger: Logger;
  readonly #metrics: WalMetrics | undefined;

  constructor(options: WalArchiveOptions) {
    this.#o = options;
    this.storage = options.storage;
    this.prefix = (options.prefix ?? 'wal').replace(/^\/+|\/+$/g, '');
    if (!this.prefix) throw new DbrsError('CONFIG_INVALID', 'The WAL archive prefix must not be empty.');
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'wal' });
    this.#metrics = options.metrics ? walMetrics(options.metrics) : undefined;
  }

  key(name: string): string {
    return `${this.prefix}/${name}`;
  }

  /** archive_command: stores the file at `path` (its base name is the WAL file name). */
  async push(path: string, options: { signal?: AbortSignal } = {}): Promise<PushResult> {
    const started = performance.now();
    const file = assertWalName(basename(String(path)));
    throwIfAborted(options.signal, 'WAL archiving');
    const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new DbrsError(
        err.code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
        `Cannot read ${path}: ${err.message}`,
        {
          hint: 'archive_command runs in the data directory; pass %p unchanged.',
        },
      );
    });
    const header = file.kind === 'segment' ? readSegmentHeader(file, bytes) : undefined;
    const rawSha256 = createHash('sha256').update(bytes).digest('hex');
    const key = this.key(file.name);
    const done = (status: PushResult['status'], storedBytes: number): PushResult => {
      const durationMs = Math.round(performance.now() - started);
      this.#metrics?.pushes.inc({ outcome: status });
      this.#logger.info(
        { event: 'wal_pushed', name: file.name, status, rawBytes: bytes.length, storedBytes, durationMs },
        status === 'stored' ? 'WAL file archived' : 'WAL file was already archived',
      );
      return { name: file.name, status, rawBytes: bytes.length, storedBytes, durationMs };
    };
    try {
      const existing = await this.storage.head(key, { signal: options.signal });
      if (existing) {
        await this.#assertSame(file, existing, rawSha256, options.signal);
        return done('already-archived', existing.size);
      }
      const stored = await this.#write(key, bytes, rawSha256, header, options.signal).catch(async (err) => {
        // A concurrent push of the same file can make ours fail (Azure drops our staged blocks when the other
        // commits first): if the identical file is there now, the segment is archived.
        const now = await this.storage.head(key, { signal: options.signal }).catch(() => undefined);
        if (now && now.metadata['raw_sha256'] === rawSha256) return undefined;
        throw err;
      });
      if (!stored) return done('already-archived', (await this.storage.head(key))?.size ?? 0);
      // Two pushes of one name can both find it missing; whichever landed last is what is stored. Same content
      // (the usual case: a retried archive_command) is one object; different content is caught here.
      const after = await this.storage.head(key, { signal: options.signal });
      if (after) await this.#assertSame(file, after, rawSha256, options.signal);
      return done('stored', stored.storedBytes);
    } catch (err) {
      if (!isDbrsError(err, 'ALREADY_EXISTS')) this.#metrics?.pushes.inc({ outcome: 'failed' });
      throw err;
    }
  }

  #write(key: string, bytes: Buffer, rawSha256: string, header: SegmentHeader | undefined, signal?: AbortSignal) {
    const name = key.slice(this.prefix.length + 1);
    return writeObject(Readable.from([bytes]), {
      storage: this.storage,
      key,
      compression: this.#o.compression,
      compressionLevel: this.#o.compressionLevel,
      zstdProgram: this.#o.zstdProgram,
      keyRing: this.#o.keyRing,
      signal,
      metadata: {
        wal_name: name,
        raw_sha256: rawSha256,
        raw_bytes: String(bytes.length),
        compression: this.#o.compression,
        encrypted: this.#o.keyRing.encrypting ? '1' : '0',
        ...(header ? { sysid: header.systemIdentifier, seg_bytes: String(header.segmentBytes) } : {}),
      },
    });
  }

  async #assertSame(file: WalFileName, existing: ObjectInfo, rawSha256: string, signal?: AbortSignal): Promise<void> {
    const stored = existing.metadata['raw_sha256'] ?? (await this.#rawSha256(file.name, signal));
    if (stored === rawSha256) return;
    this.#metrics?.pushes.inc({ outcome: 'conflict' });
    this.#metrics?.conflicts.inc();
    const at = new Date();
    const record = { name: file.name, at: at.toISOString(), storedSha256: stored, offeredSha256: rawSha256 };
    this.#logger.error(
      { event: 'wal_push_conflict', ...record },
      'a different WAL file is already archived under this name: refused',
    );
    const stamp = at.toISOString().replace(/[-:.]/g, '');
    await this.storage
      .put(
        `${this.prefix}/${META_FOLDER}/conflicts/${file.name}-${stamp}-${randomBytes(3).toString('hex')}.json`,
        Buffer.from(`${JSON.stringify(record)}\n`),
        { contentType: 'application/json', signal },
      )
      .catch((err) => this.#logger.warn({ event: 'wal_conflict_record_failed', err }, 'could not record the conflict'));
    throw new DbrsError(
      'ALREADY_EXISTS',
      `A different ${file.name} is already archived in ${this.storage.location}: refusing to overwrite it.`,
      {
        hint: 'Two clusters archive into the same place, or a restored copy still archives. Give each cluster its own storage prefix; keep the stored file (it may be the one a backup needs).',
        details: { name: file.name, storedSha256: stored, offeredSha256: rawSha256 },
      },
    );
  }

  async #rawSha256(name: string, signal?: AbortSignal): Promise<string> {
    const hash = createHash('sha256');
    const stream = await this.#open(name, signal);
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  async #open(name: string, signal?: AbortSignal, info?: ObjectInfo): Promise<Readable> {
    const key = this.key(name);
    const head = info ?? (await this.storage.head(key, { signal }));
    if (!head) {
      throw new DbrsError('NOT_FOUND', `${name} is not in the WAL archive at ${this.storage.location}.`, {
        details: { name },
      });
    }
    const compression = (head.metadata['compression'] ?? this.#o.compression) as CompressionType;
    const encrypted =
      head.metadata['encrypted'] !== undefined ? head.metadata['encrypted'] === '1' : this.#o.keyRing.encrypting;
    return readObject({ storage: this.storage, key, compression, encrypted, keyRing: this.#o.keyRing, signal });
  }

  /**
   * restore_command: writes the archived file `name` to `dest` (whole, via a
   * temporary name and a rename), checking the original's SHA-256. A missing
   * file is DbrsError('NOT_FOUND'): recovery asks for files past the end of
   * the archive as a matter of course.
   */
  async fetch(name: string, dest: string, options: { signal?: AbortSignal } = {}): Promise<FetchResult> {
    const started = performance.now();
    const file = assertWalName(name);
    const head = await this.storage.head(this.key(file.name), { signal: options.signal });
    if (!head) {
      this.#metrics?.fetches.inc({ outcome: 'missing' });
      throw new DbrsError('NOT_FOUND', `${file.name} is not in the WAL archive at ${this.storage.location}.`, {
        details: { name: file.name },
      });
    }
    const temp = `${dest}.dbrs-part-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(dirname(dest), { recursive: true });
      const expected = head.metadata['raw_sha256'];
      const check = new Sha256Check(file.name, expected);
      await pipeline(await this.#open(file.name, options.signal, head), check, createWriteStream(temp), {
        signal: options.signal,
      });
      await rename(temp, dest);
      this.#metrics?.fetches.inc({ outcome: 'fetched' });
      return { name: file.name, rawBytes: check.bytes, durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      await rm(temp, { force: true });
      this.#metrics?.fetches.inc({ outcome: 'failed' });
      throw err;
    }
  }

  /** Every archived WAL file, in name order (timeline, then position). */
  async list(options: { signal?: AbortSignal } = {}): Promise<ArchivedWal[]> {
    const out: ArchivedWal[] = [];
    for await (const info of this.storage.list(`${this.prefix}/`, { signal: options.signal, includeMetadata: true })) {
      const name = info.key.slice(this.prefix.length + 1);
      const file = parseWalName(name);
      if (!file) continue;
      out.push({
        name,
        kind: file.kind,
        timeline: file.timeline,
        key: info.key,
        storedBytes: info.size,
        rawBytes: Number(info.metadata['raw_bytes'] ?? 0),
        archivedAt: info.lastModified,
        ...(info.metadata['raw_sha256'] ? { rawSha256: info.metadata['raw_sha256'] } : {}),
        ...(info.metadata['sysid'] ? { systemIdentifier: info.metadata['sysid'] } : {}),
        ...(info.metadata['seg_bytes'] ? { segmentBytes: Number(info.metadata['seg_bytes']) } : {}),
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Reads a small archived file (a timeline history) as text. */
  async readText(name: string, signal?: AbortSignal): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of await this.#open(assertWalName(name).name, signal)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Conflict records (`wal push` refusals), newest last. */
  async conflicts(signal?: AbortSignal): Promise<Array<{ name: string; at: string }>> {
    const out: Array<{ name: string; at: string }> = [];
    for await (const info of this.storage.list(`${this.prefix}/${META_FOLDER}/conflicts/`, { signal })) {
      const m = /\/([^/]+)-(\d{8}T\d{9}Z)-[0-9a-f]{6}\.json$/.exec(info.key);
      if (m) out.push({ name: m[1]!, at: info.lastModified.toISOString() });
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  async delete(names: string[], signal?: AbortSignal): Promise<void> {
    if (names.length)
      await this.storage.deleteMany(
        names.map((n) => this.key(n)),
        { signal },
      );
  }
}

/** Counts and hashes the plaintext; a mismatch with the pushed file's SHA-256 fails the stream at its end. */
class Sha256Check extends Transform {
  bytes = 0;
  readonly #hash = createHash('sha256');
  readonly #name: string;
  readonly #expected: string | undefined;

  constructor(name: string, expected: string | undefined) {
    super();
    this.#name = name;
    this.#expected = expected;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    this.#hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: (err?: Error | null) => void): void {
    const actual = this.#hash.digest('hex');
    if (this.#expected && actual !== this.#expected) {
      cb(
        new DbrsError('INTEGRITY_FAILED', `The archived ${this.#name} does not match the file that was pushed.`, {
          details: { name: this.#name, expected: this.#expected, actual },
        }),
      );
    } else cb();
  }
}
