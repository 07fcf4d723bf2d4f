import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { isDbrsError } from '@voicehive/db-core';
import { requireComponent } from '@voicehive/db-testing';
import { afterAll, describe, expect, it } from 'vitest';
import { AzureBlobStorage } from '../src/storage/azure.js';
import { createStorage } from '../src/storage/create-storage.js';
import { forEachConcurrently } from '../src/storage/for-each-concurrently.js';
import { GcsStorage } from '../src/storage/gcs.js';
import { LocalStorage } from '../src/storage/local.js';
import { S3Storage } from '../src/storage/s3.js';
import {
  DEFAULT_PART_SIZE,
  multipartCapacity,
  partSizeAt,
  partSizeFor,
  partsNeeded,
  S3_MAX_PART_SIZE,
  S3_MAX_PARTS,
  S3_MIN_PART_SIZE,
} from '../src/storage/s3-part-size.js';
import { randomStream } from './storage-contract.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TB = 1e12;

async function codeOf(
  promise: Promise<unknown> | (() => unknown),
): Promise<{ code?: string; message: string; error: unknown }> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return { code: isDbrsError(error) ? error.code : undefined, message: (error as Error).message, error };
  }
  throw new Error('expected a rejection');
}

describe('S3 part sizes (pure)', () => {
  it('never needs more than 10,000 parts for objects up to 5 TB without a size hint', () => {
    for (const size of [0, 1, 5 * MiB, 8 * MiB, 8 * MiB + 1, GiB, 100 * GiB, TB, 4.9 * TB, 5 * TB, 5 * 1024 ** 4]) {
      const parts = partsNeeded(size);
      expect(parts, `size ${size}`).toBeLessThanOrEqual(S3_MAX_PARTS);
      expect(parts).toBeGreaterThanOrEqual(1);
    }
    expect(multipartCapacity(DEFAULT_PART_SIZE)).toBeGreaterThan(5 * 1024 ** 4);
  });

  it('keeps every part between 5 MiB and 5 GiB and grows only every 1,000 parts', () => {
    for (let part = 1; part <= S3_MAX_PARTS; part += 1) {
      const size = partSizeAt(part);
      expect(size).toBeGreaterThanOrEqual(S3_MIN_PART_SIZE);
      expect(size).toBeLessThanOrEqual(S3_MAX_PART_SIZE);
    }
    expect(partSizeAt(1)).toBe(8 * MiB);
    expect(partSizeAt(1000)).toBe(8 * MiB);
    expect(partSizeAt(1001)).toBe(16 * MiB);
    expect(partSizeAt(10_000)).toBe(4 * GiB);
    // A 1 GiB backup uploads in 128 parts of 8 MiB: memory stays small.
    expect(partsNeeded(GiB)).toBe(128);
  });

  it('raises the first part size for hints beyond what the default covers', () => {
    expect(partSizeFor()).toBe(DEFAULT_PART_SIZE);
    expect(partSizeFor(10 * GiB)).toBe(DEFAULT_PART_SIZE);
    const hint = 40 * 1024 ** 4; // 40 TiB (AWS's current object limit is 48.8 TiB)
    const base = partSizeFor(hint);
    expect(base).toBeGreaterThan(DEFAULT_PART_SIZE);
    expect(base % MiB).toBe(0);
    expect(partsNeeded(hint, base)).toBeLessThanOrEqual(S3_MAX_PARTS);
  });
});

/**
 * A scripted stand-in for S3Client, only for a fault s3rver cannot produce:
 * s3rver has no AbortMultipartUpload (reference/emulators.md), so whether the
 * adapter sends it is checked here.
 */
function fakeS3(options: { failPart?: number; failAll?: Error } = {}) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      calls.push({ name, input: command.input });
      await new Promise((resolve) => setImmediate(resolve));
      if (options.failAll) throw options.failAll;
      switch (name) {
        case 'CreateMultipartUploadCommand':
          return { UploadId: 'upload-1' };
        case 'UploadPartCommand':
          if (command.input['PartNumber'] === options.failPart) {
            throw Object.assign(new Error('We encountered an internal error.'), {
              name: 'InternalError',
              $metadata: { httpStatusCode: 500 },
            });
          }
          return { ETag: `"etag-${String(command.input['PartNumber'])}"`, ChecksumCRC32: 'AAAAAA==' };
        default:
          return {};
      }
    },
    destroy() {},
  };
  return { client: client as unknown as S3Client, calls };
}

describe('S3Storage multipart with an injected client', () => {
  it('aborts the multipart upload when a part fails, and reports STORAGE_FAILED', async () => {
    const { client, calls } = fakeS3({ failPart: 2 });
    const storage = new S3Storage({ bucket: 'b', client, endpoint: 'http://127.0.0.1:1' });
    const result = await codeOf(storage.put('db/x', randomStream(30 * MiB).stream));
    expect(result.code).toBe('STORAGE_FAILED');
    expect(result.message).toContain('InternalError');
    const names = calls.map((c) => c.name);
    expect(names[0]).toBe('CreateMultipartUploadCommand');
    expect(names).toContain('AbortMultipartUploadCommand');
    expect(names).not.toContain('CompleteMultipartUploadCommand');
    expect(calls.find((c) => c.name === 'AbortMultipartUploadCommand')?.input).toMatchObject({
      Bucket: 'b',
      Key: 'db/x',
      UploadId: 'upload-1',
    });
  });

  it('aborts the multipart upload when the caller aborts', async () => {
    const { client, calls } = fakeS3();
    const storage = new S3Storage({ bucket: 'b', client, endpoint: 'http://127.0.0.1:1' });
    const controller = new AbortController();
    const source = randomStream(40 * MiB, { afterBytes: 20 * MiB, onReached: () => controller.abort() });
    const result = await codeOf(storage.put('db/x', source.stream, { signal: controller.signal }));
    expect(result.code).toBe('ABORTED');
    expect(calls.map((c) => c.name)).toContain('AbortMultipartUploadCommand');
  });

  it('uploads 8 MiB parts and completes with every part in order, with SSE, Object Lock and checksums', async () => {
    const { client, calls } = fakeS3();
    const storage = new S3Storage({
      bucket: 'b',
      prefix: 'root',
      client,
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/backups',
      objectLock: { mode: 'COMPLIANCE', retainDays: 7 },
    });
    const result = await storage.put('db/x', randomStream(20 * MiB).stream, { metadata: { a: '1' } });
    expect(result.size).toBe(20 * MiB);
    const create = calls.find((c) => c.name === 'CreateMultipartUploadCommand')!.input;
    expect(create).toMatchObject({
      Key: 'root/db/x',
      Metadata: { a: '1' },
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'alias/backups',
      ObjectLockMode: 'COMPLIANCE',
      ChecksumAlgorithm: 'CRC32',
    });
    const retain = (create['ObjectLockRetainUntilDate'] as Date).getTime() - Date.now();
    expect(retain).toBeGreaterThan(6.9 * 86_400_000);
    const parts = calls.filter((c) => c.name === 'UploadPartCommand').map((c) => (c.input['Body'] as Buffer).length);
    expect(parts).toEqual([8 * MiB, 8 * MiB, 4 * MiB]);
    const complete = calls.find((c) => c.name === 'CompleteMultipartUploadCommand')!.input as {
      MultipartUpload: { Parts: Array<{ PartNumber: number; ChecksumCRC32?: string }> };
    };
    expect(complete.MultipartUpload.Parts.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    expect(complete.MultipartUpload.Parts.every((p) => p.ChecksumCRC32 === 'AAAAAA==')).toBe(true);
  });

  it('maps SignatureDoesNotMatch (a wrong secret on real S3) to STORAGE_AUTH_FAILED with a hint', async () => {
    const failAll = Object.assign(
      new Error('The request signature we calculated does not match the signature you provided.'),
      {
        name: 'SignatureDoesNotMatch',
        $metadata: { httpStatusCode: 403 },
      },
    );
    const { client } = fakeS3({ failAll });
    const storage = new S3Storage({ bucket: 'b', client });
    for (const call of [
      () => storage.put('k', Buffer.from('x')),
      () => storage.head('k'),
      () => storage.deleteMany(['k']),
    ]) {
      const result = await codeOf(call());
      expect(result.code).toBe('STORAGE_AUTH_FAILED');
      expect(result.message).toContain('SignatureDoesNotMatch');
      expect(result.message).toContain('AWS_SECRET_ACCESS_KEY');
    }
  });

  it('splits a large Uint8Array body into parts without losing bytes', async () => {
    const { client, calls } = fakeS3();
    const storage = new S3Storage({ bucket: 'b', client, endpoint: 'http://127.0.0.1:1' });
    const body = new Uint8Array(17 * MiB + 3);
    body[17 * MiB + 2] = 42;
    expect(await storage.put('db/buf', body)).toEqual({ key: 'db/buf', size: 17 * MiB + 3 });
    const parts = calls.filter((c) => c.name === 'UploadPartCommand').map((c) => c.input['Body'] as Buffer);
    expect(parts.map((p) => p.length)).toEqual([8 * MiB, 8 * MiB, MiB + 3]);
    expect(parts[2]!.at(-1)).toBe(42);
  });

  it('sends an object of at most one part as a single PutObject', async () => {
    const { client, calls } = fakeS3();
    const storage = new S3Storage({ bucket: 'b', client, endpoint: 'http://127.0.0.1:1' });
    await storage.put('db/small', randomStream(8 * MiB).stream);
    expect(calls.map((c) => c.name)).toEqual(['PutObjectCommand']);
    expect((calls[0]!.input['Body'] as Buffer).length).toBe(8 * MiB);
    expect(calls[0]!.input['ChecksumAlgorithm']).toBeUndefined();
  });
});

describe('forEachConcurrently (one-request-per-object deletes)', () => {
  it('takes no new item once one has failed; calls already in flight still finish', async () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const run = forEachConcurrently(items, 3, (item) => {
      started.push(item);
      if (item === 0) return Promise.reject(new Error('delete of item 0 failed'));
      return new Promise<void>((resolve) => release.set(item, resolve));
    });
    await expect(run).rejects.toThrow('delete of item 0 failed');
    expect(started).toEqual([0, 1, 2]);
    // Let the two in-flight calls finish: their workers must stop instead of taking items 3..9.
    release.get(1)!();
    release.get(2)!();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    expect([...release.keys()]).toEqual([1, 2]);
  });

  it('still calls every item with at most `limit` in flight when nothing fails', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => setImmediate(resolve));
      seen.push(item);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });
});

describe('optional SDKs', () => {
  const missing = async (specifier: string) => {
    throw Object.assign(new Error(`Cannot find package '${specifier}' imported from x`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
  };

  it('names the exact package to install when the S3 SDK is missing', async () => {
    const storage = new S3Storage({ bucket: 'b', importModule: missing });
    const result = await codeOf(storage.head('a'));
    expect(result.code).toBe('DEPENDENCY_MISSING');
    expect(result.message).toContain('pnpm add @aws-sdk/client-s3');
  });

  it('names the exact package for Azure and GCS too', async () => {
    const azure = new AzureBlobStorage({
      container: 'c',
      connectionString: 'AccountName=a;AccountKey=k',
      importModule: missing,
    });
    const az = await codeOf(azure.head('a'));
    expect(az.code).toBe('DEPENDENCY_MISSING');
    expect(az.message).toContain('pnpm add @azure/storage-blob');
    expect(az.message).not.toContain('AccountKey=k');

    const gcs = new GcsStorage({ bucket: 'b', importModule: missing });
    const g = await codeOf(gcs.put('a', Buffer.from('x')));
    expect(g.code).toBe('DEPENDENCY_MISSING');
    expect(g.message).toContain('pnpm add @google-cloud/storage');
  });
});

describe('createStorage', () => {
  it('builds each adapter from the flat DatabaseBackupManagerOptions keys', () => {
    expect(createStorage({ storageType: 'local', localPath: '/tmp/x' }).location).toBe('/tmp/x');
    const s3 = createStorage({ storageType: 'S3', s3Bucket: 'bk', s3Prefix: '/pg/', s3Region: 'eu-west-1' });
    expect([s3.kind, s3.location]).toEqual(['s3', 's3://bk/pg/']);
    const azure = createStorage({
      storageType: 'azure',
      azureContainer: 'backups',
      azureConnectionString:
        'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net',
    });
    expect(azure.location).toBe('azure://acct/backups/');
    expect(azure.location).not.toContain('c2VjcmV0');
    const gcs = createStorage({ storageType: 'gcs', gcsBucket: 'g', gcsPrefix: 'p' });
    expect(gcs.location).toBe('gs://g/p/');
  });

  it('says which key and environment variable are missing', async () => {
    const cases: Array<[Parameters<typeof createStorage>[0], string]> = [
      [{ storageType: 'local' }, 'BACKUP_LOCAL_PATH'],
      [{ storageType: 's3' }, 'BACKUP_S3_BUCKET'],
      [{ storageType: 'azure', azureConnectionString: 'x' }, 'BACKUP_AZURE_CONTAINER'],
      [{ storageType: 'azure', azureContainer: 'c' }, 'BACKUP_AZURE_CONNECTION_STRING'],
      [{ storageType: 'gcs' }, 'BACKUP_GCS_BUCKET'],
      [{ storageType: 'ftp' }, 'BACKUP_STORAGE_TYPE'],
      [{}, 'BACKUP_LOCAL_PATH'],
      [{ storageType: 's3', s3Bucket: 'b', s3AccessKeyId: 'AKIA' }, 'BACKUP_S3_SECRET_ACCESS_KEY'],
    ];
    for (const [config, env] of cases) {
      const result = await codeOf(() => createStorage(config));
      expect(result.code).toBe('CONFIG_INVALID');
      expect(result.message).toContain(env);
    }
  });
});

/** A 1 MiB tmpfs: a real file system that really fills up (needs root / CAP_SYS_ADMIN). */
async function mountTinyTmpfs(): Promise<{ dir?: string; reason: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dbrs-enospc-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir, reason: '' };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return { reason: `cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ${(error as Error).message.split('\n')[0]}` };
  }
}

const tmpfs = await mountTinyTmpfs();

describe('LocalStorage on a full disk', () => {
  afterAll(async () => {
    if (!tmpfs.dir) return;
    execFileSync('umount', [tmpfs.dir]);
    await rm(tmpfs.dir, { recursive: true, force: true });
  });

  it.skipIf(!requireComponent('tmpfs', tmpfs.dir !== undefined, tmpfs.reason))(
    'fails with STORAGE_FAILED naming the path and ENOSPC, and leaves no file behind',
    async () => {
      const storage = new LocalStorage({ path: tmpfs.dir! });
      const result = await codeOf(storage.put('db/b1/dump.bin', randomStream(4 * MiB).stream));
      expect(result.code).toBe('STORAGE_FAILED');
      expect(result.message).toContain('ENOSPC');
      expect(result.message).toContain(join(tmpfs.dir!, 'db', 'b1', 'dump.bin'));
      expect(await storage.head('db/b1/dump.bin')).toBeUndefined();
      expect(await readdir(join(tmpfs.dir!, 'db', 'b1'))).toEqual([]);
      // The space came back: a small object still fits.
      expect((await storage.put('db/b1/small', Buffer.from('ok'))).size).toBe(2);
    },
  );
});
