import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findZstdProgram } from '../src/pipeline/compression.js';
import { KeyRing } from '../src/pipeline/encryption/keyring.js';
import { generateRecipientKeyPair } from '../src/pipeline/encryption/keys.js';
import { readObject, writeObject } from '../src/pipeline/object-io.js';
import { LocalStorage } from '../src/storage/local.js';
import type { CompressionType } from '../src/types.js';

const fsStorage = (root: string) => new LocalStorage({ path: root });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vhbk-pipe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Compressible but not trivial: repeated text with random bits.
function sample(size: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  while (n < size) {
    const line = Buffer.from(`row ${n} guest-${randomBytes(4).toString('hex')} checked in to room ${n % 500}\n`);
    parts.push(line);
    n += line.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

async function roundTrip(
  data: Buffer,
  compression: CompressionType,
  ring: KeyRing | undefined,
  readRing = ring,
  zstdProgram: string | false = false,
) {
  const storage = fsStorage(dir);
  const key = `db/${compression}-${randomBytes(4).toString('hex')}`;
  const stored = await writeObject(Readable.from([data]), { storage, key, compression, keyRing: ring, zstdProgram });
  const out = await buffer(
    await readObject({
      storage,
      key,
      compression,
      encrypted: !!ring?.encrypting,
      keyRing: readRing,
      expectedSha256: stored.sha256,
    }),
  );
  return { stored, out, key };
}

describe('pipeline', () => {
  for (const compression of ['zstd', 'gzip', 'none'] as const) {
    it(`round-trips ${compression} with passphrase encryption and counts bytes`, async () => {
      const ring = await KeyRing.create({ encryptionKey: 'correct horse battery staple', chunkSize: 64 * 1024 });
      const data = sample(1_000_000);
      const { stored, out } = await roundTrip(data, compression, ring);
      expect(out.equals(data)).toBe(true);
      expect(stored.rawBytes).toBe(data.length);
      if (compression !== 'none') expect(stored.storedBytes).toBeLessThan(data.length);
      expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it('compresses with the zstd program when present, readable by node zstd', async () => {
    const program = findZstdProgram();
    expect(program, 'Debian zstd is installed on this machine').toBeTruthy();
    const data = sample(500_000);
    const { out, stored } = await roundTrip(data, 'zstd', undefined, undefined, program!);
    expect(out.equals(data)).toBe(true);
    expect(stored.storedBytes).toBeLessThan(data.length / 2);
  });

  it('handles empty input and exact multiples of the chunk size', async () => {
    const ring = await KeyRing.create({ encryptionKey: 'correct horse battery staple', chunkSize: 4096 });
    for (const size of [0, 4096, 8192, 4097]) {
      const data = randomBytes(size);
      const { out } = await roundTrip(data, 'none', ring);
      expect(out.equals(data)).toBe(true);
    }
  });

  it('X25519 recipients: encrypt without the private key, decrypt with it', async () => {
    const pair = generateRecipientKeyPair();
    const writer = await KeyRing.create({ encryptionRecipients: [pair.publicKey] });
    expect(writer.encryptionKeyIds).toEqual([pair.keyId]);
    const reader = await KeyRing.create({ decryptionKeys: [pair.privateKey] });
    const data = sample(300_000);
    const { out } = await roundTrip(data, 'zstd', writer, reader);
    expect(out.equals(data)).toBe(true);
  });

  it('rotation: old passphrase in decryptionKeys still opens old objects', async () => {
    const old = await KeyRing.create({ encryptionKey: { id: 'k2025', passphrase: 'the old passphrase!' } });
    const rotated = await KeyRing.create({
      encryptionKey: { id: 'k2026', passphrase: 'the new passphrase!' },
      decryptionKeys: [{ id: 'k2025', passphrase: 'the old passphrase!' }],
    });
    const data = sample(100_000);
    const { out } = await roundTrip(data, 'gzip', old, rotated);
    expect(out.equals(data)).toBe(true);
  });

  it('wrong key → DECRYPTION_FAILED; unknown key id → DECRYPTION_FAILED naming the id', async () => {
    const ring = await KeyRing.create({ encryptionKey: { id: 'prod', passphrase: 'right passphrase' } });
    const wrong = await KeyRing.create({ decryptionKeys: [{ id: 'prod', passphrase: 'wrong passphrase' }] });
    await expect(roundTrip(sample(10_000), 'zstd', ring, wrong)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    const other = await KeyRing.create({ decryptionKeys: [generateRecipientKeyPair().privateKey] });
    await expect(roundTrip(sample(10_000), 'zstd', ring, other)).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
      message: expect.stringContaining('prod'),
    });
  });

  it('tampering and truncation → INTEGRITY_FAILED', async () => {
    const ring = await KeyRing.create({ encryptionKey: 'tamper test passphrase', chunkSize: 4096 });
    const storage = fsStorage(dir);
    const data = randomBytes(20_000);
    await writeObject(Readable.from([data]), { storage, key: 'db/tamper', compression: 'none', keyRing: ring });
    const path = join(dir, 'db/tamper');
    const original = await readFile(path);
    const flipped = Buffer.from(original);
    flipped[original.length - 100]! ^= 0x01;
    await writeFile(path, flipped);
    const read = () =>
      readObject({ storage, key: 'db/tamper', compression: 'none', encrypted: true, keyRing: ring }).then(buffer);
    await expect(read()).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    // Cut exactly at a chunk boundary: every remaining chunk authenticates, only the last-chunk flag catches it.
    const headerLen = original.length - 4 * (4096 + 16) - (20_000 - 4 * 4096 + 16);
    await writeFile(path, original.subarray(0, headerLen + 4 * (4096 + 16)));
    await expect(read()).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
  });

  it('a source that fails midway leaves nothing stored', async () => {
    const storage = fsStorage(dir);
    async function* failing() {
      yield sample(100_000);
      throw new Error('tool died');
    }
    await expect(
      writeObject(Readable.from(failing()), { storage, key: 'db/failed-source', compression: 'zstd' }),
    ).rejects.toThrow('tool died');
    expect(await storage.head('db/failed-source')).toBeUndefined();
  });
});
