// The stored `wal verify` outcome is read back by other processes: checked, not trusted. Real local storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local.js';
import { readVerifyRecord, writeVerifyRecord } from '../../src/wal/verify-record.js';

let dir: string;
let storage: LocalStorage;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbrs-verify-record-'));
  storage = new LocalStorage({ path: dir });
});
afterAll(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the stored WAL verify record', () => {
  it('none yet: undefined; written: read back as written', async () => {
    expect(await readVerifyRecord(storage, 'a')).toBeUndefined();
    const record = {
      at: '2026-12-02T08:00:00.000Z',
      ok: false,
      gaps: [{ timeline: 1, from: '000000010000000000000003', to: '000000010000000000000004', missing: 2 }],
      unreachable: [],
      backups: 2,
    };
    await writeVerifyRecord(storage, 'a', record);
    expect(await readVerifyRecord(storage, 'a')).toEqual(record);
  });

  it.each([
    ['not JSON', 'garbage{'],
    ['failed without its gaps', JSON.stringify({ at: '2026-12-02T08:00:00Z', ok: false, backups: 1 })],
    ['a gap without names', JSON.stringify({ at: 'x', ok: false, gaps: [{}], unreachable: [], backups: 1 })],
  ])('%s: INTEGRITY_FAILED saying how to write a new one', async (_case, body) => {
    await storage.put('b/_meta/last-verify.json', Buffer.from(body));
    await expect(readVerifyRecord(storage, 'b')).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
      hint: expect.stringContaining('dbrs wal verify'),
    });
  });
});
