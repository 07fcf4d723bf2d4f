import { afterEach, expect, it } from 'vitest';
import { type Fixture, fixture, sqlMigration, tableExists } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function scratchDatabases(fx: Fixture): Promise<string[]> {
  const r = await fx.db.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'dbrs_scratch_%'",
  );
  return r.rows.map((x) => x.datname);
}

it('traces locks and rewrites per statement on a scratch copy, checks down and re-up, and leaves the target alone', async () => {
  fx = await fixture({
    '001_base.sql': sqlMigration(
      "CREATE TABLE bookings (id bigint PRIMARY KEY, guest text);\nINSERT INTO bookings SELECT g, 'g' || g FROM generate_series(1, 50000) g;\n" +
        // Keeps the CONCURRENTLY build below running ≥ 0.3 s, so the 10 ms lock sampler sees it even on a loaded machine.
        "CREATE FUNCTION slow_lower(t text) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN IF t = 'g1' THEN PERFORM pg_sleep(0.3); END IF; RETURN lower(t); END $$;",
      'DROP TABLE bookings; DROP FUNCTION slow_lower(text);',
    ),
  });
  const m = fx.manager();
  expect((await m.runMigration()).success).toBe(true);
  await fx.write({
    '002_changes.sql': sqlMigration(
      'ALTER TABLE bookings ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();\nSELECT pg_sleep(0.3);',
      'ALTER TABLE bookings DROP COLUMN seen_at;',
    ),
    '003_index.sql': sqlMigration('CREATE INDEX bookings_guest ON bookings (guest);', 'DROP INDEX bookings_guest;'),
    '004_cic.sql': sqlMigration(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS bookings_slow_guest ON bookings (slow_lower(guest));',
      'DROP INDEX CONCURRENTLY IF EXISTS bookings_slow_guest;',
      '-- dbrs:no-transaction\n',
    ),
  });
  const report = await m.testMigrations({ data: 'full' });
  expect(report.errorMessage).toBeUndefined();
  expect(report.success).toBe(true);
  expect(report.scratchDropped).toBe(true);
  const [changes, index, cic] = report.migrations;
  const addCol = changes!.statements[0];
  const createIdx = index!.statements[0];
  expect(addCol!.locks).toContainEqual({
    relation: 'public.bookings',
    mode: 'AccessExclusiveLock',
    newRelation: false,
  });
  expect(addCol!.rewrites).toEqual(['public.bookings']);
  expect(createIdx!.locks).toContainEqual({ relation: 'public.bookings', mode: 'ShareLock', newRelation: false });
  expect(createIdx!.rewrites).toEqual([]);
  expect(changes!.rollbackMatches).toBe(true);
  expect(changes!.reapplyMatches).toBe(true);
  // The re-apply held ACCESS EXCLUSIVE through pg_sleep: the probes on bookings waited behind it.
  expect(changes!.impact!.tables).toEqual(['public.bookings']);
  expect(changes!.impact!.blockedSessions).toBeGreaterThan(0);
  expect(changes!.impact!.worstProbeLatencyMs).toBeGreaterThan(0);
  expect(cic!.transactional).toBe(false);
  expect(cic!.statements[0]!.lockSource).toBe('sampler');
  // The pg_sleep in slow_lower is a lower bound on the build, so the sampler had ~30 chances to see its lock.
  expect(cic!.statements[0]!.durationMs).toBeGreaterThanOrEqual(300);
  expect(cic!.statements[0]!.locks.map((l) => l.mode)).toContain('ShareUpdateExclusiveLock');
  // Nothing happened to the real database.
  expect((await m.status()).pending).toEqual(['002_changes', '003_index', '004_cic']);
  const cols = await fx.db.query(
    "SELECT 1 FROM information_schema.columns WHERE table_name = 'bookings' AND column_name = 'seen_at'",
  );
  expect(cols.rowCount).toBe(0);
  expect(await scratchDatabases(fx)).toEqual([]);
}, 60_000);

it('fails the test when a down does not restore the schema, and testFirst then leaves the target untouched', async () => {
  fx = await fixture({
    '001_t.sql': sqlMigration('CREATE TABLE t (id int);', 'DROP TABLE t;'),
    '002_bad_down.sql': sqlMigration(
      'ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;',
      'ALTER TABLE t DROP COLUMN a;',
    ),
  });
  const m = fx.manager();
  const report = await m.testMigrations();
  expect(report.success).toBe(false);
  expect(report.migrations[1]!.rollbackMatches).toBe(false);
  expect(report.migrations[1]!.rollbackDifferences).toEqual([
    { object: 'column public.t.b', kind: 'unexpected', actual: 'integer' },
  ]);
  expect(report.errorMessage).toMatch(
    /down of 002_bad_down does not restore the schema: unexpected column public\.t\.b/,
  );
  expect(report.scratchDropped).toBe(true);

  const run = await m.runMigration({ testFirst: true });
  expect(run.success).toBe(false);
  expect(run.error?.code).toBe('MIGRATION_TEST_FAILED');
  expect(run.report.test?.success).toBe(false);
  expect(run.applied).toEqual([]);
  expect(await tableExists(fx.db, 't')).toBe(false);
  expect(await scratchDatabases(fx)).toEqual([]);
}, 60_000);

it('testFirst applies for real after a passing test', async () => {
  fx = await fixture({ '001_t.sql': sqlMigration('CREATE TABLE t (id int);', 'DROP TABLE t;') });
  const run = await fx.manager({ testFirst: true }).runMigration();
  expect(run.errorMessage).toBeUndefined();
  expect(run.report.test?.success).toBe(true);
  expect(run.report.test!.migrations[0]!.statements[0]!.locks).toEqual([
    { relation: 'public.t', mode: 'AccessExclusiveLock', newRelation: true },
  ]);
  expect(await tableExists(fx.db, 't')).toBe(true);
}, 60_000);

it('a data sample in the scratch copy catches a migration that only fails on real rows', async () => {
  fx = await fixture({
    '001_t.sql': sqlMigration(
      'CREATE TABLE readings (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int, doubled int GENERATED ALWAYS AS (v * 2) STORED);\nINSERT INTO readings (v) SELECT g FROM generate_series(1, 100) g;',
      'DROP TABLE readings;',
    ),
  });
  const m = fx.manager();
  expect((await m.runMigration()).success).toBe(true);
  await fx.write({
    '002_check.sql': sqlMigration(
      'ALTER TABLE readings ADD CONSTRAINT v_big CHECK (v > 5);',
      'ALTER TABLE readings DROP CONSTRAINT v_big;',
    ),
  });
  const schemaOnly = await m.testMigrations();
  expect(schemaOnly.success).toBe(true);
  const sampled = await m.testMigrations({ data: { sampleRows: 10 } });
  expect(sampled.success).toBe(false);
  expect(sampled.errorMessage).toMatch(/v_big.*violated|violated.*v_big/);
  expect(sampled.scratchDropped).toBe(true);
  await expect(m.testMigrations({ data: { sampleRows: 0 } })).resolves.toMatchObject({
    success: false,
    errorMessage: expect.stringMatching(/sampleRows/),
  });
  expect(await scratchDatabases(fx)).toEqual([]);
}, 60_000);
