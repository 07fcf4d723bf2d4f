import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  findPgBouncer,
  type PgBouncerHandle,
  type PostgresServer,
  requireComponent,
  startPgBouncer,
  startPostgres,
} from '../src/index.js';

const available = requireComponent('pgbouncer', findPgBouncer() !== undefined);

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!available)('startPgBouncer', () => {
  let server: PostgresServer;
  let bouncer: PgBouncerHandle;

  beforeAll(async () => {
    server = await startPostgres();
    bouncer = await startPgBouncer({ postgresPort: server.port, poolMode: 'transaction' });
  });
  afterAll(async () => {
    await bouncer?.stop();
    await server?.stop();
  });

  it('pools connections to a database and shows them on the admin console', async () => {
    const db = await createTestDatabase(server);
    const rows = await query<{ db: string }>(bouncer.url(db.name), 'SELECT current_database() AS db');
    expect(rows).toEqual([{ db: db.name }]);
    const pools = await query<{ database: string; user: string; pool_mode: string }>(bouncer.adminUrl, 'SHOW POOLS');
    expect(pools).toContainEqual(
      expect.objectContaining({ database: db.name, user: 'postgres', pool_mode: 'transaction' }),
    );
  });

  it('reloads changed settings', async () => {
    await bouncer.reload({ default_pool_size: 7 });
    const config = await query<{ key: string; value: string }>(bouncer.adminUrl, 'SHOW CONFIG');
    expect(config.find((row) => row.key === 'default_pool_size')?.value).toBe('7');
  });

  it('stops idempotently and closes its port', async () => {
    const other = await startPgBouncer({ postgresPort: server.port });
    await Promise.all([other.stop(), other.stop()]);
    await expect(query(other.url('postgres'), 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
