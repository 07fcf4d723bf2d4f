import { createDatabase, type Database, getServerVersion, isDbrsError } from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres, type TestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseCapacityManager } from '../src/manager.js';
import { MemorySampleStore } from '../src/store/memory-store.js';

let testDb: TestDatabase;
let db: Database;
beforeAll(async () => {
  testDb = await createTestDatabase(await getSharedPostgres());
  db = createDatabase(testDb.url);
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

// The collector reads the server version through core's getServerVersion, so its signal option is what
// makes the collector's first query abortable.
describe('getServerVersion with a signal (used by the capacity collector)', () => {
  it('reads the same version through a core Database with a signal, a bare pg.Pool, and the collector', async () => {
    const truth = Number(
      (await db.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]!.server_version_num,
    );
    const viaDb = await getServerVersion(db, { signal: new AbortController().signal });
    expect(viaDb.num).toBe(truth);
    expect(viaDb.major).toBe(Math.floor(truth / 10_000));
    // The pool under the Database is a bare pg.Pool: its query takes no signal.
    expect((await getServerVersion(db.pool)).num).toBe(truth);
    await using m = new DatabaseCapacityManager(db, { store: new MemorySampleStore() });
    await m.initialize();
    expect((await m.collectSample()).snapshot.serverVersionNum).toBe(truth);
  });

  it('rejects with ABORTED for an already aborted signal, on a core Database and on a bare pg.Pool', async () => {
    await expect(getServerVersion(db, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(getServerVersion(db.pool, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });

  // The client is busy with a 60 s sleep, so the version query waits in pg's queue behind it; the test
  // times out at 20 s, so it passes only if the abort rejects the read while it is still waiting.
  it('an abort while the read waits behind a long statement on a bare pg client rejects at once', {
    timeout: 20_000,
  }, async () => {
    // A pooled client is a bare pg client: it queues a second query behind the running one.
    const client = await db.pool.connect();
    const sleeping = client.query('SELECT pg_sleep(60)').catch((err: Error) => err);
    try {
      const ac = new AbortController();
      const reading = getServerVersion(client, { signal: ac.signal });
      ac.abort();
      const err = await reading.catch((e: unknown) => e);
      expect(isDbrsError(err, 'ABORTED')).toBe(true);
    } finally {
      // A cancel that reaches the backend before pg_sleep starts is lost; repeat until the sleep ends.
      const pid = (client as unknown as { processID: number }).processID;
      let settled = false;
      void sleeping.then(() => (settled = true));
      while (!settled) {
        await db.query('SELECT pg_cancel_backend($1)', [pid]);
        await new Promise((r) => setTimeout(r, 100));
      }
      client.release();
    }
  });
});
