import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '@voicehive/db-core';
import { type AzuriteEmulator, type S3Emulator, startAzurite, startS3 } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/pipeline/encryption/keyring.js';
import { AzureBlobStorage } from '../../src/storage/azure.js';
import { LocalStorage } from '../../src/storage/local.js';
import { S3Storage } from '../../src/storage/s3.js';
import type { BackupStorage } from '../../src/storage/types.js';
import { WalArchive } from '../../src/wal/archive.js';
import { WalSpool } from '../../src/wal/spool.js';
import { craftSegment, writeSegment } from './segments.js';

let dir: string;
let s3: S3Emulator;
let azurite: AzuriteEmulator;
let ring: KeyRing;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vhbk-wal-'));
  [s3, azurite, ring] = await Promise.all([
    startS3({ bucket: 'vhbk-wal' }),
    startAzurite({ container: 'vhbk-wal' }),
    KeyRing.create({ encryptionKey: 'wal archive test passphrase', scryptLogN: 10 }),
  ]);
}, 120_000);
afterAll(async () => {
  await s3?.stop();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const storages: Array<[string, () => BackupStorage]> = [
  ['local', () => new LocalStorage({ path: join(dir, `store-${Math.random().toString(36).slice(2)}`) })],
  [
    's3rver',
    () =>
      new S3Storage({
        bucket: s3.bucket,
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: s3.credentials,
        prefix: `p${Math.random().toString(36).slice(2)}`,
      }),
  ],
  [
    'azurite',
    () =>
      new AzureBlobStorage({
        container: azurite.container,
        connectionString: azurite.connectionString,
        prefix: `p${Math.random().toString(36).slice(2)}`,
      }),
  ],
];

describe.each(storages)('WAL archive on %s', (_kind, makeStorage) => {
  it('push → fetch gives back the same bytes, compressed and encrypted in storage', async () => {
    const storage = makeStorage();
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd' });
    const src = await writeSegment(dir, '000000010000000000000001');
    const pushed = await archive.push(src);
    expect(pushed).toMatchObject({ name: '000000010000000000000001', status: 'stored', rawBytes: 16 << 20 });
    // Mostly zeros: zstd makes it small; the stored object is not the plaintext.
    expect(pushed.storedBytes).toBeLessThan(1 << 20);
    const head = await storage.head('wal/000000010000000000000001');
    expect(head?.metadata).toMatchObject({ compression: 'zstd', encrypted: '1', sysid: '7300000000000000001' });
    const dest = join(dir, `restored-${_kind}`);
    const fetched = await archive.fetch('000000010000000000000001', dest);
    expect(fetched.rawBytes).toBe(16 << 20);
    expect((await readFile(dest)).equals(await readFile(src))).toBe(true);
    expect((await archive.list()).map((w) => w.name)).toEqual(['000000010000000000000001']);
    await storage.close();
  });

  it('pushing the identical file again succeeds; a different file under that name is refused, recorded and counted', async () => {
    const storage = makeStorage();
    const metrics = createMetrics();
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd', metrics });
    const src = await writeSegment(dir, '000000010000000000000002');
    expect((await archive.push(src)).status).toBe('stored');
    expect((await archive.push(src)).status).toBe('already-archived');
    const other = join(dir, 'other');
    await rm(other, { recursive: true, force: true });
    await (await import('node:fs/promises')).mkdir(other);
    const different = await writeSegment(other, '000000010000000000000002');
    await expect(archive.push(different)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect((await archive.conflicts()).map((c) => c.name)).toEqual(['000000010000000000000002']);
    const text = await metrics.text();
    expect(text).toMatch(/voicehive_wal_push_conflicts_total 1/);
    expect(text).toMatch(/voicehive_wal_push_total\{outcome="already-archived"\} 1/);
    // The stored file is still the first one.
    const dest = join(dir, `kept-${_kind}`);
    await archive.fetch('000000010000000000000002', dest);
    expect((await readFile(dest)).equals(await readFile(src))).toBe(true);
    await storage.close();
  });

  it('two pushes of one segment at once store it once, and both succeed', async () => {
    const storage = makeStorage();
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd' });
    const src = await writeSegment(dir, '000000010000000000000003');
    const results = await Promise.all([archive.push(src), archive.push(src), archive.push(src)]);
    expect(results.every((r) => r.status === 'stored' || r.status === 'already-archived')).toBe(true);
    const keys: string[] = [];
    for await (const o of storage.list('')) keys.push(o.key);
    expect(keys).toEqual(['wal/000000010000000000000003']);
    await storage.close();
  });

  it('a wrong key fails the fetch with DECRYPTION_FAILED and leaves no file at the destination', async () => {
    const storage = makeStorage();
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd' });
    await archive.push(await writeSegment(dir, '000000010000000000000004'));
    const wrong = await KeyRing.create({ encryptionKey: 'not the passphrase', scryptLogN: 10 });
    const reader = new WalArchive({ storage, keyRing: wrong, compression: 'zstd' });
    const dest = join(dir, `wrong-${_kind}`);
    await expect(reader.fetch('000000010000000000000004', dest)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    expect((await readdir(dir)).filter((f) => f.startsWith(`wrong-${_kind}`))).toEqual([]);
    await storage.close();
  });

  it('a missing file is NOT_FOUND, a bad name INVALID_ARGUMENT', async () => {
    const storage = makeStorage();
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'none' });
    await expect(archive.fetch('0000000100000000000000AA', join(dir, 'x'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(archive.fetch('../etc/passwd', join(dir, 'x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const bad = join(dir, 'RECOVERYXLOG');
    await writeFile(bad, craftSegment('000000010000000000000001'));
    await expect(archive.push(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await storage.close();
  });
});

describe('WAL archive faults', () => {
  it('storage down during push → STORAGE_FAILED, and nothing (partial or whole) is visible afterwards', async () => {
    const doomed = await startS3({ bucket: 'vhbk-wal-down' });
    const storage = new S3Storage({
      bucket: doomed.bucket,
      region: doomed.region,
      endpoint: doomed.endpoint,
      forcePathStyle: true,
      credentials: doomed.credentials,
      maxAttempts: 1,
    });
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd' });
    const src = await writeSegment(dir, '000000010000000000000005');
    await doomed.stop();
    await expect(archive.push(src)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await storage.close();
    // The same bucket directory, served again: no object under the name.
    const again = await startS3({ bucket: 'vhbk-wal-down' });
    const reopened = new S3Storage({
      bucket: again.bucket,
      region: again.region,
      endpoint: again.endpoint,
      forcePathStyle: true,
      credentials: again.credentials,
    });
    const keys: string[] = [];
    for await (const o of reopened.list('')) keys.push(o.key);
    expect(keys).toEqual([]);
    await reopened.close();
    await again.stop();
  });

  it('the spool prefetches the next segments in parallel and hands them over whole', async () => {
    const storage = new LocalStorage({ path: join(dir, 'spool-store') });
    const archive = new WalArchive({ storage, keyRing: ring, compression: 'zstd' });
    const names = ['000000010000000000000010', '000000010000000000000011', '000000010000000000000012'];
    for (const n of names) await archive.push(await writeSegment(dir, n));
    const spool = new WalSpool({ archive, dir: join(dir, 'spool') });
    // Asked for four: the fourth is not archived, which ends the prefetch quietly.
    const r = await spool.prefetch([...names.slice(1), '000000010000000000000013']);
    expect(r.fetched.sort()).toEqual(names.slice(1));
    const dest = join(dir, 'from-spool');
    expect(await spool.take('000000010000000000000011', dest)).toBe(true);
    expect((await readFile(dest)).equals(await readFile(join(dir, '000000010000000000000011')))).toBe(true);
    expect(await spool.take('000000010000000000000011', dest)).toBe(false);
    expect(await spool.take('000000010000000000000013', dest)).toBe(false);
    await storage.close();
  });
});
