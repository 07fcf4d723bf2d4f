import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireComponent, type S3Emulator, startS3 } from '../src/index.js';

describe('startS3', () => {
  let s3: S3Emulator;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3({ bucket: 'dbrs-s3-test' });
    client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: s3.credentials,
      forcePathStyle: s3.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  it('stores and returns objects, including streamed bodies byte for byte', async () => {
    const body = Buffer.alloc(300_000, 'voicehive');
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: 'backups/streamed.bin',
        Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]),
        ContentLength: body.length,
        Metadata: { sha: 'abc' },
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'backups/streamed.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.Metadata).toEqual({ sha: 'abc' });
  });

  it('lists with a prefix, page by page', async () => {
    for (let i = 0; i < 5; i++) {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `paged/${i}.txt`, Body: `object ${i}` }));
    }
    if (!requireComponent('openssl-legacy-provider', s3.supportsListPaging)) return;
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'paged/', MaxKeys: 2, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(keys).toEqual(['paged/0.txt', 'paged/1.txt', 'paged/2.txt', 'paged/3.txt', 'paged/4.txt']);
  });

  it('deletes objects', async () => {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'gone.txt', Body: 'x' }));
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: 'gone.txt' }));
    await expect(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'gone.txt' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });

  it('rejects an invalid bucket name and cleans up on stop', async () => {
    await expect(startS3({ bucket: 'ab' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const other = await startS3();
    expect(existsSync(other.directory)).toBe(true);
    await Promise.all([other.stop(), other.stop()]);
    expect(existsSync(other.directory)).toBe(false);
    await expect(fetch(other.endpoint)).rejects.toThrow();
  });
});
