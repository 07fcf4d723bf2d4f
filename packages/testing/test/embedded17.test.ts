import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  EMBEDDED_POSTGRES_MAJORS,
  embeddedPostgresAvailable,
  findServerBinaries,
  requireComponent,
  startPostgres,
} from '../src/index.js';

const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17));

describe('startPostgres({ source: "embedded", major: 17 })', () => {
  it.skipIf(!pg17)('runs PostgreSQL 17 with pg_stat_statements 1.11 preloaded and tracking everything', async () => {
    const server = await startPostgres({ source: 'embedded', major: 17, settings: { track_io_timing: 'on' } });
    try {
      expect(server.source).toBe('embedded');
      expect(server.version.major).toBe(17);
      expect(server.version.num).toBeGreaterThanOrEqual(170000);
      const db = await createTestDatabase(server);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const settings = await client.query<{ name: string; setting: string }>(
          `SELECT name, setting FROM pg_settings
           WHERE name IN ('shared_preload_libraries', 'pg_stat_statements.track', 'wal_level', 'track_io_timing')`,
        );
        expect(Object.fromEntries(settings.rows.map((row) => [row.name, row.setting]))).toEqual({
          'pg_stat_statements.track': 'all',
          shared_preload_libraries: 'pg_stat_statements',
          track_io_timing: 'on',
          wal_level: 'replica',
        });
        // Created from template1, so every test database has the PG17 version of the extension.
        const ext = await client.query<{ extversion: string }>(
          "SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'",
        );
        expect(ext.rows).toEqual([{ extversion: '1.11' }]);
        await client.query('SELECT 1 AS probe_pg17');
        const statements = await client.query<{ calls: string; shared_blk_read_time: number }>(
          "SELECT calls, shared_blk_read_time FROM pg_stat_statements WHERE query LIKE 'SELECT $1 AS probe_pg17%'",
        );
        expect(statements.rows).toHaveLength(1);
        expect(Number(statements.rows[0]!.calls)).toBe(1);
      } finally {
        await client.end();
      }
      const wrong = new URL(server.passwordRole!.url);
      wrong.password = 'wrong';
      const failed = new pg.Client({ connectionString: wrong.toString() });
      await expect(failed.connect()).rejects.toMatchObject({ code: '28P01' });
      await db.drop();
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dataDir!)).toBe(false);
  });

  it('refuses a major it cannot start, before starting anything', async () => {
    expect(EMBEDDED_POSTGRES_MAJORS).toEqual([15, 16, 17, 18]);
    await expect(startPostgres({ source: 'embedded', major: 14 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('major: 14'),
    });
    const local = findServerBinaries();
    if (local && local.major !== 17) {
      await expect(startPostgres({ source: 'local', major: 17 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(`are PostgreSQL ${local.major}, not 17`),
      });
    }
  });
});
