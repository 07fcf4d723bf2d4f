import { createDatabase } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { sql } from './support/suite-helpers.js';

/** The human (non --json) output of `dbrs performance`, run as a child process against a real database. */
describe('dbrs performance speaks to people', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', BACKUP_ENABLED: 'false' });

  beforeAll(async () => {
    await sql(
      db.url,
      `CREATE TABLE guests (id bigserial PRIMARY KEY, email text, city text);
       INSERT INTO guests (email, city) SELECT 'g' || i || '@example.com', 'c' || (i % 50) FROM generate_series(1, 30000) i;
       CREATE INDEX guests_city_a ON guests (city);
       CREATE INDEX guests_city_b ON guests (city);
       ANALYZE guests;`,
    );
    // Application statements on the raw pool (core's Database tags its own statements as the suite's).
    await using app = createDatabase(db.url, { poolMax: 1, applicationName: 'app' });
    for (let i = 0; i < 30; i++) await app.pool.query('SELECT * FROM guests WHERE email = $1', [`g${i}@example.com`]);
  }, 120_000);

  it('report: cache hit ratio as percentages, indexes by name, durations with units', async () => {
    const r = await runCli(['performance', 'report'], { env: env(), timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('{"tables"');
    expect(r.stdout).toMatch(/Cache hit ratio: tables (\d+\.\d%|no reads yet), indexes/);
    expect(r.stdout).toMatch(/Duplicate indexes: .*public\.guests_city_b/);
    expect(r.stdout).toMatch(/\d (ms|s) /);
  }, 300_000);
});
