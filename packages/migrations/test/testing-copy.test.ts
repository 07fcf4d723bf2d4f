// Issue #14 §3: `migrate test` on a schema-only copy times a rewrite of an empty table. With data
// (full when small, else a sample per table) the durations mean something, and the report says
// which kind of copy it was; the plain output shows the lock trace. Real PostgreSQL, pg_dump, psql.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_SAMPLE_ROWS, formatTestReportHuman } from '../src/index.js';
import { type Fixture, fixture, sqlMigration } from './helpers.js';

describe('migration test copies: schema, full, sample, auto', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await fixture({
      '001_base.sql': sqlMigration('CREATE TABLE stays (id int PRIMARY KEY, nights int);', 'DROP TABLE stays;'),
    });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.db.query('INSERT INTO stays SELECT g, g % 7 FROM generate_series(1, 2000) g');
    await fx.db.query('ANALYZE stays');
    await fx.write({
      '002_widen.sql': sqlMigration(
        'ALTER TABLE stays ALTER COLUMN nights TYPE bigint;',
        'ALTER TABLE stays ALTER COLUMN nights TYPE int;',
      ),
    });
  }, 120_000);
  afterAll(async () => fx?.cleanup());

  /** Rows of `stays` the traced rewrite saw, read from the lock trace's statement (rewrites) and the copy. */
  const rewriteOf = (r: Awaited<ReturnType<ReturnType<Fixture['manager']>['testMigrations']>>) =>
    r.migrations[0]?.statements.find((s) => s.sql.includes('TYPE bigint'));

  it('schema only by default, and says so', async () => {
    const r = await fx.manager().testMigrations({ probe: false });
    expect(r.success, r.errorMessage).toBe(true);
    expect(r.copy).toEqual({ kind: 'schema', tables: [] });
    const text = formatTestReportHuman(r);
    expect(text).toContain('Copy: schema only, no rows');
    expect(text).toContain('use --with-data');
  }, 120_000);

  it('a sample of n rows per table: rows copied and the source estimate per table', async () => {
    const r = await fx.manager().testMigrations({ data: { sampleRows: 150 }, probe: false });
    expect(r.success, r.errorMessage).toBe(true);
    expect(r.copy).toMatchObject({ kind: 'sample', sampleRows: 150 });
    expect(r.copy?.tables).toContainEqual({ table: 'public.stays', sourceRows: 2000, copiedRows: 150 });
    expect(rewriteOf(r)?.rewrites).toEqual(['public.stays']);
    const text = formatTestReportHuman(r);
    expect(text).toContain('Copy: sample of at most 150 rows per table');
    expect(text).toContain('public.stays 150 of ~2000 rows (7.5%)');
    // The lock trace is in the plain output, not only in the JSON.
    expect(text).toMatch(/#1 +\d+ ms {2}ALTER TABLE stays ALTER COLUMN nights TYPE bigint/);
    expect(text).toMatch(
      /\n {6}locks: public\.stays ACCESS EXCLUSIVE, public\.stays_pkey ACCESS EXCLUSIVE; rewrites: public\.stays; rebuilds indexes: public\.stays_pkey$/m,
    );
  }, 120_000);

  it("'auto': a full copy when the source is small, a sample above the size limit", async () => {
    const small = await fx.manager().testMigrations({ data: 'auto', probe: false });
    expect(small.success, small.errorMessage).toBe(true);
    expect(small.copy?.kind).toBe('full');
    expect(small.copy?.sourceBytes).toBeGreaterThan(0);
    expect(small.copy?.tables).toContainEqual({ table: 'public.stays', sourceRows: 2000 });
    expect(formatTestReportHuman(small)).toMatch(/Copy: full copy of the data \(source user tables [\d.]+ MB\)/);

    const big = await fx.manager().testMigrations({ data: 'auto', fullCopyMaxBytes: 1, probe: false });
    expect(big.success, big.errorMessage).toBe(true);
    expect(big.copy).toMatchObject({ kind: 'sample', sampleRows: AUTO_SAMPLE_ROWS });
    // 2,000 rows < the auto sample size: the whole table came along.
    expect(big.copy?.tables).toContainEqual({ table: 'public.stays', sourceRows: 2000, copiedRows: 2000 });
    expect(formatTestReportHuman(big)).toContain('every table copied whole');
  }, 180_000);

  it('refuses a sample size that is not a positive whole number before making a copy', async () => {
    const r = await fx.manager().testMigrations({ data: { sampleRows: 1.5 } });
    expect(r.success).toBe(false);
    expect(r.errorMessage).toMatch(/sampleRows must be a positive integer, got 1.5/);
    expect(r.scratchDatabase).toBe('');
  }, 60_000);
});
