import { createDatabase } from '@voicehive/db-core';
import { runHotelWorkload, useTestDatabase } from '@voicehive/db-testing';
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
    // Again, now: the loading session's row counts reach the statistics after its own ANALYZE (flushed late),
    // and the advisor rightly refuses advice on statistics it sees as stale.
    await sql(db.url, 'ANALYZE guests');
  }, 120_000);

  it('report: cache hit ratio as percentages, indexes by name, durations with units', async () => {
    const r = await runCli(['performance', 'report'], { env: env(), timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('{"tables"');
    expect(r.stdout).toMatch(/Cache hit ratio: tables (\d+\.\d%|no reads yet), indexes/);
    expect(r.stdout).toMatch(/Duplicate indexes: .*public\.guests_city_b/);
    expect(r.stdout).toMatch(/\d (ms|s) /);
  }, 300_000);

  it('capacity report: sizes in units, changes signed or "no history", never raw byte counts or empty cells', async () => {
    const r = await runCli(['capacity', 'report'], { env: env(), timeoutMs: 280_000 });
    expect([0, 3], r.stderr).toContain(r.code);
    const row = r.stdout.split('\n').find((l) => /^database_size\s/.test(l)) ?? '';
    expect(row, r.stdout).toMatch(/^database_size\s+\d+\.\d MB\s+(no history|[+\-±]\d)/);
    // One fresh sample: no window is covered yet, and every change cell says so.
    expect(row.match(/no history/g), row).toHaveLength(3);
    expect(r.stdout).not.toMatch(/\d{7,}/);
  }, 300_000);
});

/** The demo's workload, which gets index recommendations: their SQL as `dbrs performance recommend` prints it. */
describe('dbrs performance recommend speaks SQL', () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 1, seed: 42 } });
  const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', BACKUP_ENABLED: 'false' });

  beforeAll(async () => {
    // As the demo does: forget the load's statements, run the workload, statistics current.
    await sql(db.url, 'SELECT pg_stat_statements_reset()');
    await runHotelWorkload(db.url, { iterations: 10, seed: 1 });
    await sql(db.url, 'ANALYZE');
  }, 240_000);

  it('recommend: each CREATE INDEX ends with exactly one semicolon', async () => {
    const r = await runCli(['performance', 'recommend'], { env: env(), timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    const creates = r.stdout.split('\n').filter((l) => /^CREATE INDEX/.test(l));
    expect(creates.length, r.stdout).toBeGreaterThan(0);
    for (const l of creates) expect(l).toMatch(/[^;];$/);
    expect(r.stdout).not.toContain(';;');
  }, 300_000);
});
