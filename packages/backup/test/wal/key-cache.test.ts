import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHeader } from '../../src/pipeline/encryption/format.js';
import { LocalStorage } from '../../src/storage/local.js';
import { openWalArchive } from '../../src/wal/open.js';
import { writeSegment } from './segments.js';

let dir: string;
const passphrase = 'wal key cache passphrase';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vhbk-walkc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pushes `name` through a fresh openWalArchive (as a new `wal push` process would) and returns its scrypt stanza. */
async function push(store: string, name: string, options: { cache?: string; key?: string; readOnly?: boolean } = {}) {
  const storage = new LocalStorage({ path: store });
  await using opened = await openWalArchive({
    storage,
    encryptionKey: options.key ?? passphrase,
    scryptLogN: 10,
    ...(options.cache ? { keyCache: { dir: options.cache, readOnly: options.readOnly ?? false } } : {}),
  });
  const src = await writeSegment(dir, name);
  await opened.archive.push(src);
  const body = await storage.get(`wal/${name}`);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  const stanza = decodeHeader(Buffer.concat(chunks))!.header.stanzas[0]!;
  if (stanza.type !== 'scrypt') throw new Error('expected a passphrase stanza');
  return { stanza, opened };
}

describe('WAL key cache (one key derivation a day instead of one per wal push)', () => {
  it('the second process reuses the first one’s KEK and key id; what it wrote opens with the passphrase alone', async () => {
    const store = join(dir, 'store-a');
    const cache = join(dir, 'cache-a');
    const first = await push(store, '000000010000000000000001', { cache });
    const second = await push(store, '000000010000000000000002', { cache });
    // Same salt (the cached KEK), same id, yet a fresh random data key per object.
    expect(second.stanza.salt.equals(first.stanza.salt)).toBe(true);
    expect(second.stanza.keyId).toBe(first.stanza.keyId);
    expect(second.stanza.wrappedKey.equals(first.stanza.wrappedKey)).toBe(false);
    // Without any cache (only the passphrase): a push derives its own salt, and both cached objects open.
    const plain = await push(store, '000000010000000000000003');
    expect(plain.stanza.salt.equals(first.stanza.salt)).toBe(false);
    expect(plain.stanza.keyId).toBe(first.stanza.keyId);
    const reader = await openWalArchive({ storage: new LocalStorage({ path: store }), encryptionKey: passphrase });
    for (const n of ['000000010000000000000001', '000000010000000000000002']) {
      const dest = join(dir, `out-${n}`);
      await reader.archive.fetch(n, dest);
      expect((await readFile(dest)).equals(await readFile(join(dir, n)))).toBe(true);
    }
    await reader.close();
    // Private: a 0700 directory, 0600 files; the entry's name is no plain hash of the passphrase.
    expect((await stat(cache)).mode & 0o777).toBe(0o700);
    const files = await readdir(cache);
    expect(files.sort()).toEqual(['pepper', expect.stringMatching(/^wal-kek-[0-9a-f]{32}\.json$/)]);
    for (const f of files) expect((await stat(join(cache, f))).mode & 0o777).toBe(0o600);
    const plainHash = createHash('sha256').update(passphrase).digest('hex');
    expect(files.join(' ')).not.toContain(plainHash.slice(0, 16));
  });

  it('another passphrase gets its own entry and never the cached KEK', async () => {
    const store = join(dir, 'store-b');
    const cache = join(dir, 'cache-b');
    const a = await push(store, '000000010000000000000001', { cache });
    const b = await push(store, '000000010000000000000002', { cache, key: 'another passphrase here' });
    expect(b.stanza.salt.equals(a.stanza.salt)).toBe(false);
    expect(b.stanza.keyId).not.toBe(a.stanza.keyId);
    expect((await readdir(cache)).filter((f) => f.startsWith('wal-kek-'))).toHaveLength(2);
    // The first passphrase still finds its own.
    const again = await push(store, '000000010000000000000003', { cache });
    expect(again.stanza.salt.equals(a.stanza.salt)).toBe(true);
  });

  it('a directory others can read is not used; an expired entry is derived again under a new salt; read-only never writes', async () => {
    const shared = join(dir, 'cache-shared');
    await mkdir(shared, { mode: 0o755 });
    await chmod(shared, 0o755);
    const s1 = await push(join(dir, 'store-c'), '000000010000000000000001', { cache: shared });
    const s2 = await push(join(dir, 'store-c'), '000000010000000000000002', { cache: shared });
    expect(s2.stanza.salt.equals(s1.stanza.salt)).toBe(false);
    expect(await readdir(shared)).toEqual([]);

    const cache = join(dir, 'cache-d');
    const e1 = await push(join(dir, 'store-d'), '000000010000000000000001', { cache });
    const entry = (await readdir(cache)).find((f) => f.startsWith('wal-kek-'))!;
    const body = JSON.parse(await readFile(join(cache, entry), 'utf8'));
    await writeFile(join(cache, entry), JSON.stringify({ ...body, createdAt: new Date(Date.now() - 2 * 86_400_000) }));
    await utimes(join(cache, entry), new Date(), new Date());
    const e2 = await push(join(dir, 'store-d'), '000000010000000000000002', { cache });
    expect(e2.stanza.salt.equals(e1.stanza.salt)).toBe(false);
    // Stored again: the next process uses the new salt.
    const e3 = await push(join(dir, 'store-d'), '000000010000000000000003', { cache });
    expect(e3.stanza.salt.equals(e2.stanza.salt)).toBe(true);

    const ro = join(dir, 'cache-ro');
    await push(join(dir, 'store-e'), '000000010000000000000001', { cache: ro, readOnly: true });
    expect(await readdir(ro).catch(() => [])).toEqual([]);
  });
});
