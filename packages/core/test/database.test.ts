import { createServer } from 'node:net';
import { createTestDatabase, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { type Generated, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, type DbrsError, isDbrsError, resolveDatabase, tagSql } from '../src/index.js';

let server: PostgresServer;
let url: string;
interface TestSchema {
  guests: { id: Generated<number>; email: string };
}

let db: Database<TestSchema>;

beforeAll(async () => {
  server = await startPostgres();
  url = (await createTestDatabase(server)).url;
  db = createDatabase<TestSchema>(url, { poolMax: 4, applicationName: 'core-test' });
});
afterAll(async () => {
  await db?.close();
  await server?.stop();
});

async function rejection(p: Promise<unknown>): Promise<DbrsError> {
  try {
    await p;
  } catch (err) {
    if (isDbrsError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('createDatabase', () => {
  it('runs Kysely queries over the pg pool', async () => {
    await db.kysely.schema
      .createTable('guests')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('email', 'text')
      .execute();
    await db.kysely
      .insertInto('guests')
      .values([{ email: 'a@example.com' }, { email: 'b@example.com' }])
      .execute();
    const rows = await db.kysely.selectFrom('guests').select(['email']).orderBy('email').execute();
    expect(rows.map((r) => r.email)).toEqual(['a@example.com', 'b@example.com']);
    const { rows: app } = await db.query<{ name: string }>("SELECT current_setting('application_name') AS name");
    expect(app[0]!.name).toBe('core-test');
  });

  it('has pg_stat_statements loaded by the harness', async () => {
    const { rows } = await db.query<{ libs: string }>("SELECT current_setting('shared_preload_libraries') AS libs");
    expect(rows[0]!.libs).toContain('pg_stat_statements');
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const res = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_statements`.execute(db.kysely);
    expect(Number(res.rows[0]!.n)).toBeGreaterThan(0);
  });

  it('an AbortSignal stops pg_sleep(30) within a second, on the server too', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const running = db.query('SELECT pg_sleep(30)', [], { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    const err = await rejection(running);
    const elapsed = performance.now() - started;
    expect(err.code).toBe('ABORTED');
    expect(elapsed).toBeLessThan(1_200);
    // The statement must be gone from the server, not just abandoned by the client.
    let still = 1;
    for (let i = 0; i < 50 && still > 0; i++) {
      const { rows } = await db.query<{ n: number }>(
        // Core tags what it sends (`/* dbrs */`), so the text on the server carries the tag.
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = '/* dbrs */ SELECT pg_sleep(30)' AND state = 'active'",
      );
      still = rows[0]!.n;
      if (still) await new Promise((r) => setTimeout(r, 20));
    }
    expect(still).toBe(0);
    expect(await db.ping()).toBeGreaterThanOrEqual(0);
  });

  it('rejects a malformed URL without echoing it', () => {
    for (const bad of ['not a url', 'mysql://u:pw-in-url@h/db', 'postgres://u:pw-in-url@h:99999/db']) {
      let caught: unknown;
      try {
        createDatabase(bad);
      } catch (err) {
        caught = err;
      }
      expect(isDbrsError(caught, 'DATABASE_URL_INVALID')).toBe(true);
      expect((caught as Error).message).not.toContain('pw-in-url');
    }
  });

  it('names host and port of an unreachable server, never the password', async () => {
    const port = await closedPort();
    const bad = createDatabase(`postgres://app:very-secret-pw@127.0.0.1:${port}/hotels`, {
      connectionTimeoutMs: 2_000,
    });
    try {
      const err = await rejection(bad.query('SELECT 1'));
      expect(err.code).toBe('CONNECTION_FAILED');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(JSON.stringify({ m: err.message, d: err.details, s: err.stack })).not.toContain('very-secret-pw');
    } finally {
      await bad.close();
    }
  });

  it('reports a wrong password as AUTHENTICATION_FAILED', async () => {
    const admin = createDatabase(server.superuserUrl);
    try {
      await admin.query(`DO $$ BEGIN CREATE ROLE dbrs_pw LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
      await admin.query(`ALTER ROLE dbrs_pw PASSWORD 'right-password'`);
    } finally {
      await admin.close();
    }
    const u = new URL(url);
    u.username = 'dbrs_pw';
    u.password = 'wrong-password';
    const bad = createDatabase(u.toString());
    try {
      const err = await rejection(bad.query('SELECT 1'));
      expect(err.code).toBe('AUTHENTICATION_FAILED');
      expect(err.message).toContain('dbrs_pw');
      expect(err.message).not.toContain('wrong-password');
    } finally {
      await bad.close();
    }
  });

  it('a server that drops the session mid-query gives CONNECTION_FAILED with a cause, and the pool recovers', async () => {
    const victim = createDatabase(url, { poolMax: 2 });
    try {
      // rejection() attaches its handler now: the session may die while the terminate below is in flight.
      const failed = rejection(victim.query("SELECT pg_sleep(10), 'victim'"));
      // Terminate only once the statement runs (a fixed delay loses the race on a loaded machine).
      let terminated = 0;
      for (let i = 0; i < 100 && terminated === 0; i++) {
        const { rows } = await db.query<{ n: number }>(
          "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query = $1 AND state = 'active'",
          [tagSql("SELECT pg_sleep(10), 'victim'")],
        );
        terminated = rows[0]!.n;
        if (!terminated) await new Promise((r) => setTimeout(r, 50));
      }
      expect(terminated).toBe(1);
      const err = await failed;
      expect(err.code).toBe('CONNECTION_FAILED');
      expect(err.cause).toBeDefined();
      const { rows } = await victim.query<{ ok: number }>('SELECT 1 AS ok');
      expect(rows[0]!.ok).toBe(1);
    } finally {
      await victim.close();
    }
  });

  it('accepts a bare pg.Pool or a URL through resolveDatabase', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const fromPool = resolveDatabase(pool);
    expect(fromPool.database.info.port).toBe(new URL(url).port ? Number(new URL(url).port) : 5432);
    expect((await fromPool.database.query<{ n: number }>('SELECT 2 AS n')).rows[0]!.n).toBe(2);
    await fromPool.database.close(); // does not end a pool it does not own
    expect((await pool.query('SELECT 1 AS n')).rows[0].n).toBe(1);
    await pool.end();
    const fromUrl = resolveDatabase(url);
    expect(fromUrl.owned).toBe(true);
    await fromUrl.database.close();
    expect(resolveDatabase(db).owned).toBe(false);
  });

  it('close() and Symbol.asyncDispose end the pool; a closed handle refuses work', async () => {
    let handle: Database;
    {
      await using scoped = createDatabase(url);
      handle = scoped;
      await scoped.ping();
    }
    expect(handle.closed).toBe(true);
    const err = await rejection(handle.query('SELECT 1'));
    expect(err.code).toBe('CLOSED');
  });

  it('validates pool sizes and SSL settings', () => {
    expect(() => createDatabase(url, { poolMin: 5, poolMax: 2 })).toThrowError(/Invalid pool size/);
    expect(() => createDatabase(url, { sslMode: 'verify-full' })).toThrowError(/needs a CA certificate/);
    expect(() => createDatabase(url, { sslMode: 'verify-ca', sslCaFile: '/nonexistent/ca.pem' })).toThrowError(
      /Cannot read the CA certificate file/,
    );
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
