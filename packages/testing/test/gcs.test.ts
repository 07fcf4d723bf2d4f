import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMultipartRelated } from '../src/emulators/multipart-related.js';
import { crc32c, crc32cBase64, type GcsFake, startGcsFake } from '../src/index.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const CHUNK = 256 * 1024;

describe('crc32c', () => {
  it('computes CRC-32C (Castagnoli), incrementally, as GCS encodes it', () => {
    // The standard check value of CRC-32C.
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const whole = crc32c(Buffer.from('hello world'));
    expect(crc32c(Buffer.from(' world'), crc32c(Buffer.from('hello')))).toBe(whole);
    expect(crc32cBase64(0xe3069283)).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
  });

  it('splits multipart/related bodies without touching binary content', () => {
    const media = Buffer.from([0, 13, 10, 45, 45, 255]);
    const body = Buffer.concat([
      Buffer.from(
        '--b1\r\nContent-Type: application/json\r\n\r\n{"name":"x"}\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n',
      ),
      media,
      Buffer.from('\r\n--b1--'),
    ]);
    const parts = parseMultipartRelated(body, 'multipart/related; boundary=b1');
    expect(parts.map((part) => part.headers['content-type'])).toEqual(['application/json', 'application/octet-stream']);
    expect(parts[0]!.body.toString()).toBe('{"name":"x"}');
    expect(parts[1]!.body.equals(media)).toBe(true);
  });
});

describe('startGcsFake with @google-cloud/storage', () => {
  let fake: GcsFake;
  let storage: Storage;

  beforeAll(async () => {
    fake = await startGcsFake();
    storage = new Storage({
      projectId: fake.projectId,
      apiEndpoint: fake.apiEndpoint,
      // Uploads without preconditions are not retried by default; the resume test needs them to be.
      retryOptions: { maxRetries: 2, idempotencyStrategy: IdempotencyStrategy.RetryAlways },
    });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('creates, finds and deletes buckets', async () => {
    expect((await storage.bucket(fake.bucket).exists())[0]).toBe(true);
    const [bucket] = await storage.createBucket('second-bucket');
    await expect(storage.createBucket('second-bucket')).rejects.toMatchObject({ code: 409 });
    await bucket.file('x').save('x');
    await expect(bucket.delete()).rejects.toMatchObject({ code: 409 });
    await bucket.file('x').delete();
    await bucket.delete();
    expect((await bucket.exists())[0]).toBe(false);
  });

  it('shows nothing of a chunked resumable upload until its last chunk, then validates crc32c', async () => {
    const data = randomBytes(2 * CHUNK + 88_000);
    const file = storage.bucket(fake.bucket).file('chunked/backup.bin');
    const stream = file.createWriteStream({
      resumable: true,
      chunkSize: CHUNK,
      validation: 'crc32c',
      metadata: { contentType: 'application/octet-stream', metadata: { backupId: 'b-1' } },
    });
    const finished = new Promise<void>((resolve, reject) => {
      stream.once('finish', resolve);
      stream.once('error', reject);
    });
    // Handled now: the stream may fail while the test awaits other things; `await finished` still throws.
    finished.catch(() => {});
    stream.write(data);
    // Two full chunks go out; the rest waits for more data or end().
    for (let i = 0; i < 200 && (fake.pendingUploads()[0]?.receivedBytes ?? 0) < 2 * CHUNK; i++) await sleep(25);
    expect(fake.pendingUploads()).toEqual([
      { bucket: fake.bucket, name: 'chunked/backup.bin', receivedBytes: 2 * CHUNK },
    ]);
    expect((await file.exists())[0]).toBe(false);
    expect((await storage.bucket(fake.bucket).getFiles({ prefix: 'chunked/' }))[0]).toEqual([]);
    stream.end();
    await finished;
    expect(fake.pendingUploads()).toEqual([]);
    const [metadata] = await file.getMetadata();
    expect(Number(metadata.size)).toBe(data.length);
    expect(metadata.crc32c).toBe(crc32cBase64(crc32c(data)));
    expect(metadata.md5Hash).toBe(createHash('md5').update(data).digest('base64'));
    expect(metadata.metadata).toEqual({ backupId: 'b-1' });
    const [downloaded] = await file.download({ validation: 'crc32c' });
    expect(sha256(downloaded)).toBe(sha256(data));
  });

  it('takes single-request resumable and multipart uploads, and serves ranges', async () => {
    const bucket = storage.bucket(fake.bucket);
    const data = randomBytes(700_000);
    await bucket.file('single.bin').save(data, { resumable: true });
    await bucket.file('multipart.bin').save(data, { resumable: false });
    for (const name of ['single.bin', 'multipart.bin']) {
      const [downloaded] = await bucket.file(name).download();
      expect(sha256(downloaded), name).toBe(sha256(data));
    }
    const [range] = await bucket.file('single.bin').download({ start: 10, end: 19 });
    expect(range.equals(data.subarray(10, 20))).toBe(true);
  });

  it('patches metadata, lists with prefix, delimiter and pages, and deletes', async () => {
    const bucket = storage.bucket(fake.bucket);
    for (const name of ['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d', 'list/e'])
      await bucket.file(name).save(name);
    const file = bucket.file('list/c');
    await file.setMetadata({ metadata: { keep: 'yes', drop: 'soon' } });
    await file.setMetadata({ metadata: { drop: null } });
    expect((await file.getMetadata())[0].metadata).toEqual({ keep: 'yes' });

    const names: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const [files, next] = await bucket.getFiles({ prefix: 'list/', maxResults: 2, autoPaginate: false, pageToken });
      names.push(...files.map((f) => f.name));
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(names).toEqual(['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d', 'list/e']);

    const [top, , response] = await bucket.getFiles({ prefix: 'list/', delimiter: '/', autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(['list/c', 'list/d', 'list/e']);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(['list/a/', 'list/b/']);

    await file.delete();
    expect((await file.exists())[0]).toBe(false);
    await expect(file.delete()).rejects.toMatchObject({ code: 404 });
    await expect(file.download()).rejects.toMatchObject({ code: 404 });
  });

  it('honours ifGenerationMatch=0, so a manifest is never overwritten', async () => {
    const file = storage.bucket(fake.bucket).file('manifest.json');
    await file.save('{"v":1}', { preconditionOpts: { ifGenerationMatch: 0 }, resumable: false });
    await expect(
      file.save('{"v":2}', { preconditionOpts: { ifGenerationMatch: 0 }, resumable: false }),
    ).rejects.toMatchObject({
      code: 412,
    });
    expect((await file.download())[0].toString()).toBe('{"v":1}');
  });

  it('fails an upload on an injected fault and leaves nothing behind', async () => {
    const file = storage.bucket(fake.bucket).file('faulty.bin');
    fake.injectFault({ failAfterBytes: CHUNK + 1000, status: 403 });
    const stream = file.createWriteStream({ resumable: true, chunkSize: CHUNK });
    const outcome = new Promise((resolve) => {
      stream.once('error', resolve);
      stream.once('finish', () => resolve(undefined));
    });
    stream.end(randomBytes(3 * CHUNK));
    expect(await outcome).toMatchObject({ code: 403 });
    expect((await file.exists())[0]).toBe(false);
  });

  it('lets the SDK resume after a dropped connection', async () => {
    const data = randomBytes(3 * CHUNK + 5);
    const file = storage.bucket(fake.bucket).file('resumed.bin');
    fake.injectFault({ failAfterBytes: CHUNK + 1000 });
    await new Promise<void>((resolve, reject) => {
      const stream = file.createWriteStream({ resumable: true, chunkSize: CHUNK });
      stream.once('finish', resolve);
      stream.once('error', reject);
      stream.end(data);
    });
    const [downloaded] = await file.download();
    expect(sha256(downloaded)).toBe(sha256(data));
  });

  it('accepts STORAGE_EMULATOR_HOST-style paths and stops idempotently', async () => {
    const response = await fetch(`${fake.apiEndpoint}/b/${fake.bucket}`);
    expect(((await response.json()) as { name: string }).name).toBe(fake.bucket);
    const other = await startGcsFake({ bucket: 'other' });
    await Promise.all([other.stop(), other.stop()]);
    await expect(fetch(`${other.apiEndpoint}/b/other`)).rejects.toThrow();
  });
});
