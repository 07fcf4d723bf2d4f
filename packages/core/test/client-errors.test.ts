import { createTestDatabase, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, resolveDatabase } from '../src/index.js';

// Issue #11 item 1: pg-pool removes its own 'error' listener while a client is checked out. A session that dies
// then (server stopped, backend terminated) made the client emit 'error' with no listener: an uncaught exception
// that ended `dbrs serve`. Each case below ends the session of a client that is checked out and idle between two
// statements, which is exactly when nothing else is there to receive the error; before the fix the test process
// itself died with "Unhandled 'error' event".

let server: PostgresServer;
let url: string;
let admin: Database;

beforeAll(async () => {
  server = await startPostgres();
  url = (await createTestDatabase(server)).url;
  admin = createDatabase(url, { poolMax: 1, applicationName: 'client-errors-admin' });
});
afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

/** Terminates backend `pid` from another connection and waits until its session is gone. */
async function terminateAndWait(pid: number): Promise<void> {
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  // Polling, not events.once(client, 'end'): once() also listens for 'error' and turned
  // the expected error into a stray rejection that failed the vitest run.
  for (let i = 0; i < 100; i++) {
    const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // The client learns of it from its socket a moment later.
  await new Promise((r) => setTimeout(r, 100));
}

/** Terminates the session of `client` and waits until the client has noticed. */
async function killSession(client: pg.ClientBase): Promise<void> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await terminateAndWait(pid);
}

describe('a checked-out client whose session dies', () => {
  it('withClient: the caller sees the failure, the pool recovers', async () => {
    await using db = createDatabase(url, { poolMax: 2 });
    const failure = await db
      .withClient(async (client) => {
        await killSession(client);
        await client.query('SELECT 1');
      })
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(failure).toBeInstanceOf(Error);
    expect((await db.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n).toBe(2);
  });

  it('Kysely connection(): the session it holds may die without crashing the process', async () => {
    await using db = createDatabase(url, { poolMax: 2 });
    const failure = await db.kysely
      .connection()
      .execute(async (conn) => {
        const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(conn)).rows[0]!.pid;
        // Idle, checked out, and its session gone: the client emits 'error' now.
        await terminateAndWait(pid);
        await sql`SELECT 1`.execute(conn);
      })
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(failure).toBeInstanceOf(Error);
    expect((await sql<{ n: number }>`SELECT 3 AS n`.execute(db.kysely)).rows[0]!.n).toBe(3);
  });

  it('a pg.Pool handed in from outside gets the listener on clients it connected before', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    // A client connected (and returned) before the Database wrapped the pool.
    (await pool.connect()).release();
    const { database } = resolveDatabase(pool);
    const failure = await database
      .withClient(async (client) => {
        await killSession(client);
        await client.query('SELECT 1');
      })
      .then(
        () => undefined,
        (err: Error) => err,
      );
    expect(failure).toBeInstanceOf(Error);
    await database.close();
    await pool.end();
  });
});
