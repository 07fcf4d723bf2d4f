import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import { createTestDatabase, loadHotelWorkload, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { LocalStorage } from '../../src/storage/local.js';

export interface Fixture {
  server: PostgresServer;
  dbName: string;
  url: string;
  db: Database;
  dir: string;
  storage: LocalStorage;
  rows: Record<string, number>;
  done(): Promise<void>;
}

/** A throwaway server with one small hotel database, and a local storage dir. */
export async function hotelFixture(scale = 1): Promise<Fixture> {
  const server = await startPostgres();
  const tdb = await createTestDatabase(server);
  const report = await loadHotelWorkload(tdb.url, { scale, seed: 7 });
  const db = createDatabase(tdb.url, { poolMax: 4 });
  const dir = await mkdtemp(join(tmpdir(), 'vhbk-test-'));
  const storage = new LocalStorage({ path: join(dir, 'store') });
  return {
    server,
    dbName: tdb.name,
    url: tdb.url,
    db,
    dir,
    storage,
    rows: report.rows,
    async done() {
      await db.close();
      await tdb.drop().catch(() => {});
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
