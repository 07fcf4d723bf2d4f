import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { isDbrsError } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupStorage, ObjectInfo } from '../src/storage/types.js';

/**
 * The one contract every BackupStorage passes (local, S3, Azure, GCS; the
 * emulators and, when credentials are present, the real services). Keys live
 * under a random namespace so runs against shared real buckets never collide.
 */

export interface ContractTarget {
  storage: BackupStorage;
  /** Files a failed upload might leave behind outside the visible keys (local temp files). */
  leftovers?: () => Promise<string[]>;
  /** Strings that must never appear in `location` or error messages (keys, passwords). */
  secrets?: string[];
}

export interface ContractOptions {
  /** false: the whole block is skipped, and `skipReason` says why (only for real cloud services). */
  enabled?: boolean;
  skipReason?: string;
  /** Size of the large unknown-length upload. Default 20 MiB (several S3 parts). */
  largeBytes?: number;
}

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A stream of `total` random bytes in 64 KiB chunks with no length known up front; `digest()` after it ends. */
export function randomStream(
  total: number,
  hooks: { afterBytes?: number; onReached?: () => void | Promise<void>; failAt?: number } = {},
) {
  const hash = createHash('sha256');
  let produced = 0;
  let reached = false;
  async function* generate() {
    while (produced < total) {
      if (hooks.failAt !== undefined && produced >= hooks.failAt) throw new Error('source exploded mid-stream');
      const chunk = randomBytes(Math.min(CHUNK, total - produced));
      hash.update(chunk);
      produced += chunk.length;
      yield chunk;
      if (!reached && hooks.afterBytes !== undefined && produced >= hooks.afterBytes) {
        reached = true;
        await hooks.onReached?.();
        // Give an abort a chance to land before more data is offered.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
  return {
    stream: Readable.from(generate(), { objectMode: false }),
    digest: () => hash.digest('hex'),
    produced: () => produced,
  };
}

export async function sha256Of(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hex: hash.digest('hex'), bytes };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error, `expected a DbrsError ${code}`).toBeDefined();
  expect(isDbrsError(error), `expected a DbrsError, got ${String(error)}`).toBe(true);
  expect((error as { code?: string }).code).toBe(code);
  return error as Error;
}

export function describeStorageContract(
  name: string,
  factory: () => Promise<ContractTarget>,
  options: ContractOptions = {},
): void {
  const enabled = options.enabled ?? true;
  const title = enabled ? `storage contract: ${name}` : `storage contract: ${name} (skipped: ${options.skipReason})`;
  describe.skipIf(!enabled)(title, () => {
    let target: ContractTarget;
    let storage: BackupStorage;
    const ns = `contract-${randomUUID().slice(0, 8)}`;
    const largeBytes = options.largeBytes ?? 20 * MiB;

    beforeAll(async () => {
      target = await factory();
      storage = target.storage;
      await storage.ensure?.();
    });

    afterAll(async () => {
      if (!storage) return;
      const keys = (await collect(storage.list(`${ns}/`))).map((o) => o.key);
      await storage.deleteMany(keys);
      await storage.close();
    });

    it('stores a stream of unknown length with metadata and reads it back byte-identical', async () => {
      const key = `${ns}/large/dump.bin`;
      const source = randomStream(largeBytes);
      const progress: number[] = [];
      const result = await storage.put(key, source.stream, {
        metadata: { database: 'hotel', sha256_hint: 'abc' },
        contentType: 'application/octet-stream',
        onProgress: (bytes) => progress.push(bytes),
      });
      const expected = source.digest();
      expect(result).toEqual({ key, size: largeBytes });
      expect(progress.at(-1)).toBe(largeBytes);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));

      const head = await storage.head(key);
      expect(head?.size).toBe(largeBytes);
      expect(head?.metadata).toEqual({ database: 'hotel', sha256_hint: 'abc' });
      expect(head?.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(Date.now() - head!.lastModified.getTime())).toBeLessThan(10 * 60_000);

      const read = await sha256Of(await storage.get(key));
      expect(read.bytes).toBe(largeBytes);
      expect(read.hex).toBe(expected);
    });

    it('shows nothing under the key while an upload is still in flight', async () => {
      const key = `${ns}/in-flight/dump.bin`;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let reachedMidway!: () => void;
      const midway = new Promise<void>((resolve) => {
        reachedMidway = resolve;
      });
      const source = randomStream(12 * MiB, {
        afterBytes: 9 * MiB,
        onReached: () => {
          reachedMidway();
          return gate;
        },
      });
      const putting = storage.put(key, source.stream);
      await midway;
      // Give the backend time to take what it was given (a part, blocks, bytes on disk).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await storage.head(key)).toBeUndefined();
      expect(await collect(storage.list(`${ns}/in-flight/`))).toEqual([]);
      release();
      expect(await putting).toEqual({ key, size: 12 * MiB });
      expect((await storage.head(key))?.size).toBe(12 * MiB);
    });

    it('stores a Uint8Array body and an empty stream', async () => {
      const body = new TextEncoder().encode('{"manifest":true}');
      expect(await storage.put(`${ns}/small/manifest.json`, body)).toEqual({
        key: `${ns}/small/manifest.json`,
        size: body.length,
      });
      expect((await readAll(await storage.get(`${ns}/small/manifest.json`))).toString()).toBe('{"manifest":true}');

      expect(await storage.put(`${ns}/small/empty`, Readable.from([], { objectMode: false }))).toEqual({
        key: `${ns}/small/empty`,
        size: 0,
      });
      expect((await storage.head(`${ns}/small/empty`))?.size).toBe(0);
      expect((await readAll(await storage.get(`${ns}/small/empty`))).length).toBe(0);
    });

    it('replaces an existing object and its metadata', async () => {
      const key = `${ns}/replace/obj`;
      await storage.put(key, Buffer.from('first version'), { metadata: { version: '1', stale: 'yes' } });
      await storage.put(key, Buffer.from('second'), { metadata: { version: '2' } });
      expect((await readAll(await storage.get(key))).toString()).toBe('second');
      const head = await storage.head(key);
      expect(head?.size).toBe(6);
      expect(head?.metadata).toEqual({ version: '2' });
    });

    it('reports a missing object as undefined on head and NOT_FOUND on get', async () => {
      expect(await storage.head(`${ns}/missing/nothing`)).toBeUndefined();
      const error = await expectCode(storage.get(`${ns}/missing/nothing`), 'NOT_FOUND');
      expect(error.message).toContain(`${ns}/missing/nothing`);
    });

    it('reads byte ranges (inclusive end, open end)', async () => {
      const key = `${ns}/range/obj`;
      const data = randomBytes(1000);
      await storage.put(key, data);
      expect(await readAll(await storage.get(key, { range: { start: 0, end: 9 } }))).toEqual(data.subarray(0, 10));
      expect(await readAll(await storage.get(key, { range: { start: 100, end: 199 } }))).toEqual(
        data.subarray(100, 200),
      );
      expect(await readAll(await storage.get(key, { range: { start: 990 } }))).toEqual(data.subarray(990));
      expect(await readAll(await storage.get(key, { range: { start: 999, end: 999 } }))).toEqual(data.subarray(999));
      await expectCode(storage.get(key, { range: { start: 10, end: 5 } }), 'INVALID_ARGUMENT');
      await expectCode(storage.get(key, { range: { start: -1 } }), 'INVALID_ARGUMENT');
    });

    it('lists by prefix across several pages, in key order, without other prefixes', async () => {
      const base = `${ns}/list`;
      const inside = [`${base}/a/1`, `${base}/a/2`, `${base}/a/3`, `${base}/a/4`, `${base}/a/5`, `${base}/a/sub/6`];
      const outside = [`${base}/ab`, `${base}/b/1`, `${base}/0`];
      await Promise.all(
        [...inside, ...outside].map((key, i) =>
          storage.put(key, Buffer.alloc(i + 1, 7), { metadata: { index: String(i) } }),
        ),
      );
      const listed = await collect(storage.list(`${base}/a/`, { pageSize: 2 }));
      expect(listed.map((o) => o.key)).toEqual(inside);
      expect(listed.map((o) => o.size)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const item of listed) expect(item.lastModified).toBeInstanceOf(Date);

      // A prefix is a string prefix, not a folder: "a" also matches "ab".
      const loose = await collect(storage.list(`${base}/a`, { pageSize: 2 }));
      expect(loose.map((o) => o.key)).toEqual([...inside, `${base}/ab`]);

      const withMetadata = await collect(storage.list(`${base}/a/`, { pageSize: 4, includeMetadata: true }));
      expect(withMetadata.map((o) => o.metadata['index'])).toEqual(['0', '1', '2', '3', '4', '5']);

      expect(await collect(storage.list(`${base}/nothing-here/`))).toEqual([]);
    });

    it('deletes one, many, and missing keys without error', async () => {
      const base = `${ns}/delete`;
      const keys = [1, 2, 3, 4].map((i) => `${base}/k${i}`);
      await Promise.all(keys.map((key) => storage.put(key, Buffer.from(key))));
      await storage.delete(keys[0]!);
      expect(await storage.head(keys[0]!)).toBeUndefined();
      expect(await storage.head(keys[1]!)).toBeDefined();
      await storage.delete(keys[0]!);
      await storage.delete(`${base}/never-existed`);
      await storage.deleteMany([keys[1]!, keys[2]!, `${base}/never-existed-either`]);
      await storage.deleteMany([]);
      expect((await collect(storage.list(`${base}/`))).map((o) => o.key)).toEqual([keys[3]]);
    });

    it('leaves nothing under the key when the source stream fails mid-way', async () => {
      const key = `${ns}/failed/dump.bin`;
      // Past the first S3 part (8 MiB), so a multipart upload is under way when it fails.
      const source = randomStream(30 * MiB, { failAt: 10 * MiB });
      await expect(storage.put(key, source.stream, { metadata: { state: 'partial' } })).rejects.toThrow(
        'source exploded mid-stream',
      );
      expect(await storage.head(key)).toBeUndefined();
      await expectCode(storage.get(key), 'NOT_FOUND');
      expect(await collect(storage.list(`${ns}/failed/`))).toEqual([]);
      if (target.leftovers) expect(await target.leftovers()).toEqual([]);
    });

    it('aborts a put with an AbortSignal and leaves nothing under the key', async () => {
      const key = `${ns}/aborted/dump.bin`;
      const controller = new AbortController();
      const source = randomStream(40 * MiB, { afterBytes: 9 * MiB, onReached: () => controller.abort() });
      await expectCode(storage.put(key, source.stream, { signal: controller.signal }), 'ABORTED');
      expect(source.produced()).toBeLessThan(40 * MiB);
      expect(await storage.head(key)).toBeUndefined();
      expect(await collect(storage.list(`${ns}/aborted/`))).toEqual([]);
      if (target.leftovers) expect(await target.leftovers()).toEqual([]);

      await expectCode(storage.put(key, Buffer.from('x'), { signal: AbortSignal.abort() }), 'ABORTED');
      expect(await storage.head(key)).toBeUndefined();
    });

    it('honours AbortSignal on get and list', async () => {
      const key = `${ns}/abort-read/obj`;
      await storage.put(key, randomBytes(3 * MiB));
      await expectCode(storage.get(key, { signal: AbortSignal.abort() }), 'ABORTED');

      const controller = new AbortController();
      const stream = await storage.get(key, { signal: controller.signal });
      const reading = readAll(stream);
      controller.abort();
      await expectCode(reading, 'ABORTED');

      await expectCode(collect(storage.list(`${ns}/`, { signal: AbortSignal.abort() })), 'ABORTED');
    });

    it('rejects invalid keys and metadata with INVALID_ARGUMENT', async () => {
      for (const bad of [
        '',
        '/absolute',
        'a/../b',
        '..',
        'a//b',
        'trailing/',
        'back\\slash',
        'x/.dbrs-tmp-1',
        'nul\u0000',
      ]) {
        await expectCode(storage.put(bad, Buffer.from('x')), 'INVALID_ARGUMENT');
        await expectCode(storage.get(bad), 'INVALID_ARGUMENT');
        await expectCode(storage.head(bad), 'INVALID_ARGUMENT');
        await expectCode(storage.delete(bad), 'INVALID_ARGUMENT');
      }
      await expectCode(storage.deleteMany([`${ns}/fine`, '../escape']), 'INVALID_ARGUMENT');
      await expectCode(collect(storage.list('/root')), 'INVALID_ARGUMENT');
      await expectCode(
        storage.put(`${ns}/meta/bad`, Buffer.from('x'), { metadata: { 'Has-Dash': 'v' } }),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        storage.put(`${ns}/meta/bad`, Buffer.from('x'), { metadata: { ok: 'naïve' } }),
        'INVALID_ARGUMENT',
      );
      expect(await storage.head(`${ns}/meta/bad`)).toBeUndefined();
    });

    it('keeps secrets out of its location, and refuses work once closed', async () => {
      expect(storage.location.length).toBeGreaterThan(0);
      for (const secret of target.secrets ?? []) expect(storage.location).not.toContain(secret);

      const second = (await factory()).storage;
      await second.put(`${ns}/closing/obj`, Buffer.from('x'));
      await second[Symbol.asyncDispose]();
      await expectCode(second.head(`${ns}/closing/obj`), 'CLOSED');
      await expectCode(second.put(`${ns}/closing/obj2`, Buffer.from('x')), 'CLOSED');
      // deleteMany after close throws CLOSED like the rest, even with nothing to delete.
      await expectCode(second.deleteMany([]), 'CLOSED');
      await expectCode(second.deleteMany([`${ns}/closing/obj`]), 'CLOSED');
      await second.close();
      expect(await storage.head(`${ns}/closing/obj`)).toBeDefined();
    });
  });
}
