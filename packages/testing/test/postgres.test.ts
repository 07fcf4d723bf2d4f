import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  getSharedPostgres,
  type PostgresServer,
  requireComponent,
  startPostgres,
  useTestDatabase,
} from '../src/index.js';

const execFileAsync = promisify(execFile);

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values?: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startPostgres', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reports the server it started', () => {
    expect(server.version.num).toBeGreaterThanOrEqual(130000);
    expect(server.version.major).toBe(Math.floor(server.version.num / 10000));
    expect(server.version.text).toMatch(/^\d+\.\d+/);
    expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(server.superuserUrl).toBe(server.url);
    expect(server.port).toBe(Number(new URL(server.url).port));
  });

  it('preloads pg_stat_statements and tracks statements', async () => {
    const [preload] = await query<{ v: string }>(server.url, "SELECT current_setting('shared_preload_libraries') AS v");
    expect(preload!.v.split(',')).toContain('pg_stat_statements');
    await query(server.url, 'SELECT 42 AS answer');
    const rows = await query<{ calls: string }>(
      server.url,
      "SELECT calls FROM pg_stat_statements WHERE query LIKE 'SELECT $1 AS answer%'",
    );
    expect(rows.length).toBe(1);
    const [track] = await query<{ v: string }>(server.url, "SELECT current_setting('pg_stat_statements.track') AS v");
    expect(track!.v).toBe('all');
  });

  it('is configured for physical backups', async () => {
    const rows = await query<{ name: string; setting: string }>(
      server.url,
      "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_wal_senders', 'max_connections', 'listen_addresses')",
    );
    const settings = Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    expect(settings).toEqual({
      listen_addresses: '127.0.0.1',
      max_connections: '200',
      max_wal_senders: '10',
      wal_level: 'replica',
    });
    const hba = await query<{ type: string; database: string[]; address: string | null; auth_method: string }>(
      server.url,
      'SELECT type, database, address, auth_method FROM pg_hba_file_rules',
    );
    expect(hba).toContainEqual({ type: 'host', database: ['replication'], address: '127.0.0.1', auth_method: 'trust' });
  });

  it('lets pg_basebackup take a physical backup over replication', async () => {
    const tool = server.binDir ? join(server.binDir, 'pg_basebackup') : 'pg_basebackup';
    if (!requireComponent('pg_basebackup', existsSync(tool))) return;
    const target = await mkdtemp(join(tmpdir(), 'dbrs-basebackup-'));
    try {
      await execFileAsync(tool, [
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        'postgres',
        '-D',
        join(target, 'b'),
        '-X',
        'fetch',
        '-c',
        'fast',
      ]);
      expect(existsSync(join(target, 'b', 'PG_VERSION'))).toBe(true);
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  });

  it('creates hypopg in template1 when the extension is installed', async () => {
    if (!requireComponent('hypopg', server.hasHypopg)) return;
    const db = await createTestDatabase(server);
    try {
      const rows = await query<{ extname: string }>(db.url, 'SELECT extname FROM pg_extension ORDER BY 1');
      expect(rows.map((row) => row.extname)).toEqual(expect.arrayContaining(['hypopg', 'pg_stat_statements']));
      await query(db.url, 'CREATE TABLE t (a int)');
      const [hypo] = await query<{ indexname: string }>(
        db.url,
        "SELECT indexname FROM hypopg_create_index('CREATE INDEX ON t (a)')",
      );
      expect(hypo!.indexname).toContain('btree_t_a');
    } finally {
      await db.drop();
    }
  });

  it('preloads pg_qualstats when it is installed', async () => {
    if (!requireComponent('pg_qualstats', server.hasQualstats)) return;
    const [row] = await query<{ v: string }>(server.url, "SELECT current_setting('shared_preload_libraries') AS v");
    expect(row!.v.split(',')).toContain('pg_qualstats');
    await query(server.url, 'SELECT * FROM pg_qualstats()');
  });

  it('has a password-authenticated role that rejects a wrong password', async () => {
    const role = server.passwordRole!;
    const [me] = await query<{ user: string }>(role.url, 'SELECT current_user AS user');
    expect(me!.user).toBe(role.user);
    const wrong = new URL(role.url);
    wrong.password = 'not-the-password';
    const error = await query(wrong.toString(), 'SELECT 1').catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('28P01');
  });

  it('uses a given URL without owning the server', async () => {
    const external = await startPostgres({ url: server.url });
    expect(external.source).toBe('url');
    expect(external.version).toEqual(server.version);
    expect(external.hasHypopg).toBe(server.hasHypopg);
    await external.stop();
    expect(await query(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('names @testcontainers/postgresql when containers are asked for but not installed', async () => {
    const error = await startPostgres({ source: 'testcontainers' }).catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('DEPENDENCY_MISSING');
    expect((error as Error).message).toContain('@testcontainers/postgresql');
  });
});

describe('stop()', () => {
  it('stops the server, removes its files, and can be called twice', async () => {
    const server = await startPostgres();
    expect(server.dataDir && existsSync(server.dataDir)).toBe(true);
    expect(await portOpen(server.port)).toBe(true);
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(await portOpen(server.port)).toBe(false);
    expect(existsSync(server.dataDir!)).toBe(false);
  });

  it('runs on `await using`', async () => {
    let port = 0;
    {
      await using server = await startPostgres();
      port = server.port;
      expect(await portOpen(port)).toBe(true);
    }
    expect(await portOpen(port)).toBe(false);
  });
});

describe('createTestDatabase', () => {
  it('gives each caller a database of its own', async () => {
    const server = await getSharedPostgres();
    expect(await getSharedPostgres()).toBe(server);
    const [a, b] = await Promise.all([createTestDatabase(server), createTestDatabase(server)]);
    expect(a.name).not.toBe(b.name);
    await query(a.url, 'CREATE TABLE only_in_a (id int)');
    const inA = await query(a.url, "SELECT to_regclass('only_in_a') AS t");
    const inB = await query(b.url, "SELECT to_regclass('only_in_a') AS t");
    expect(inA).toEqual([{ t: 'only_in_a' }]);
    expect(inB).toEqual([{ t: null }]);
    await a.drop();
    await a.drop();
    await b[Symbol.asyncDispose]();
    const left = await query<{ datname: string }>(
      server.url,
      'SELECT datname FROM pg_database WHERE datname = ANY($1)',
      [[a.name, b.name]],
    );
    expect(left).toEqual([]);
  });

  it('copies a named template', async () => {
    const server = await getSharedPostgres();
    const template = await createTestDatabase(server);
    await query(template.url, 'CREATE TABLE seeded (id int); INSERT INTO seeded VALUES (7)');
    const copy = await createTestDatabase(server, {
      template: template.name,
      name: `copy_of_${template.name}`.slice(0, 63),
    });
    expect(await query(copy.url, 'SELECT id FROM seeded')).toEqual([{ id: 7 }]);
    await copy.drop();
    await template.drop();
  });

  it('refuses a name PostgreSQL would truncate', async () => {
    const server = await getSharedPostgres();
    const error = await createTestDatabase(server, { name: 'x'.repeat(64) }).catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('INVALID_ARGUMENT');
  });
});

describe('useTestDatabase', () => {
  const db = useTestDatabase({ beforeAll, afterAll });

  it('provides a fresh database to the suite', async () => {
    expect(db.url).toContain(db.database.name);
    expect(await query(db.url, 'SELECT current_database() AS name')).toEqual([{ name: db.database.name }]);
  });
});

describe('requireComponent', () => {
  it('returns true when available and false (or throws in CI mode) when missing', () => {
    const saved = process.env['DBRS_REQUIRE_ALL'];
    try {
      process.env['DBRS_REQUIRE_ALL'] = '0';
      expect(requireComponent('pgbouncer', true)).toBe(true);
      expect(requireComponent('imaginary-tool', false, 'install it with apt-get install imaginary-tool')).toBe(false);
      process.env['DBRS_REQUIRE_ALL'] = '1';
      expect(() => requireComponent('hypopg', false)).toThrow(/hypopg.*postgresql-15-hypopg/);
    } finally {
      if (saved === undefined) delete process.env['DBRS_REQUIRE_ALL'];
      else process.env['DBRS_REQUIRE_ALL'] = saved;
    }
  });
});
