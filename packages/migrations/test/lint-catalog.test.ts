import { randomBytes } from 'node:crypto';
import { createDatabase } from '@voicehive/db-core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLintCatalog } from '../src/index.js';
import { type Fixture, fixture, sqlMigration } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const HOTEL = `CREATE TABLE guests (id bigint PRIMARY KEY);
CREATE TABLE bookings (id bigint PRIMARY KEY, guest_id bigint, nights int CHECK (nights > 0));
CREATE INDEX bookings_guest ON bookings (guest_id);
CREATE TABLE payments (id bigint PRIMARY KEY, booking_id bigint, amount numeric);
ALTER TABLE bookings ADD CONSTRAINT bookings_guest_link FOREIGN KEY (guest_id) REFERENCES guests (id);`;

describe('lint with the live catalog', () => {
  it('loadLintCatalog reads index key columns, CHECK columns and constraint kinds', async () => {
    fx = await fixture();
    await fx.db.query(HOTEL);
    const catalog = await loadLintCatalog(fx.db);
    expect(catalog.indexes?.['public.bookings']).toEqual(expect.arrayContaining([['id'], ['guest_id']]));
    expect(catalog.indexes?.['public.payments']).toEqual([['id']]);
    expect(catalog.checkedColumns).toContain('public.bookings.nights');
    expect(catalog.constraints?.['public.bookings.bookings_guest_link']).toBe('f');
    expect(catalog.constraints?.['public.guests.guests_pkey']).toBe('p');
  });

  it("lint() uses existing tables' indexes, checks and foreign keys", async () => {
    fx = await fixture({ '001_hotel.sql': sqlMigration(HOTEL, 'DROP TABLE payments, bookings, guests;') });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.write({
      '002_fks.sql': sqlMigration(
        [
          'ALTER TABLE payments ADD CONSTRAINT payments_booking FOREIGN KEY (booking_id) REFERENCES bookings (id) NOT VALID;',
          'ALTER TABLE bookings ADD CONSTRAINT bookings_guest_again FOREIGN KEY (guest_id) REFERENCES guests (id) NOT VALID;',
        ].join('\n'),
        'SELECT 1;',
      ),
      '003_more.sql': sqlMigration(
        'ALTER TABLE bookings ALTER COLUMN nights TYPE bigint;\nALTER TABLE bookings DROP CONSTRAINT bookings_guest_link;',
        'SELECT 1;',
      ),
    });
    const report = await fx.manager().lint();
    const fk = report.findings.filter((f) => f.rule === 'foreign-key-without-index');
    // payments has no index on booking_id; bookings has one on guest_id.
    expect(fk.map((f) => [f.migration, f.line])).toEqual([['002_fks', 2]]);
    expect(fk[0]!.message).toMatch(/public\.payments \(booking_id\)/);
    expect(report.findings.find((f) => f.rule === 'alter-type-with-check-constraint')?.migration).toBe('003_more');
    // "bookings_guest_link" does not look like a foreign key by name; only the catalog knows.
    expect(report.findings.find((f) => f.rule === 'dropping-foreign-key')?.migration).toBe('003_more');

    await fx.write({
      '002_fks.sql': sqlMigration(
        '-- dbrs-lint-ignore foreign-key-without-index: payments are never deleted or re-keyed\nALTER TABLE payments ADD CONSTRAINT payments_booking FOREIGN KEY (booking_id) REFERENCES bookings (id) NOT VALID;',
        'SELECT 1;',
      ),
    });
    const suppressed = await fx.manager().lint();
    expect(suppressed.findings.map((f) => f.rule)).not.toContain('foreign-key-without-index');
  });
});

describe('SQL capture of TS migrations', () => {
  const TS_INDEX = {
    '002_idx.ts': `export async function up({ db }) { await db.schema.createIndex('big_v').on('big').column('v').execute(); }
export async function down({ db }) { await db.schema.dropIndex('big_v').execute(); }
`,
  };

  it('runs on a scratch copy, so an open write on the live table does not block it; live mode would', async () => {
    fx = await fixture({ '001_t.sql': sqlMigration('CREATE TABLE big (id bigint, v text);', 'DROP TABLE big;') });
    expect((await fx.manager().runMigration()).success).toBe(true);
    await fx.write(TS_INDEX);
    // An application transaction holding ROW EXCLUSIVE on the live table: CREATE INDEX (SHARE) there must wait.
    const writer = new pg.Client({ connectionString: fx.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query("INSERT INTO big VALUES (1, 'x')");
      const report = await fx.manager().lint();
      expect(report.capture).toEqual({ executedOn: 'scratch' });
      expect(report.captureErrors).toEqual([]);
      expect(report.findings.find((f) => f.rule === 'require-concurrent-index-creation')?.migration).toBe('002_idx');
      const live = await fx.manager({ lintCapture: 'live' }).lint();
      expect(live.capture).toEqual({ executedOn: 'live-rolled-back' });
      expect(live.captureErrors[0]?.error).toMatch(/lock timeout/);
    } finally {
      await writer.query('ROLLBACK').catch(() => {});
      await writer.end();
    }
    const left = await fx.db.query("SELECT datname FROM pg_database WHERE datname LIKE 'dbrs_scratch_%'");
    expect(left.rows.filter((r) => String(r.datname).includes(`_${process.pid}_`))).toEqual([]);
  });

  it('falls back to the live database, rolled back, when no scratch copy can be made (no CREATEDB)', async () => {
    fx = await fixture();
    const role = `dbrs_nocreatedb_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await fx.db.query(`CREATE ROLE ${role} LOGIN NOCREATEDB PASSWORD '${password}'`);
    await fx.db.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    const dbName = new URL(fx.url).pathname.slice(1);
    await fx.db.query(`GRANT CREATE ON DATABASE "${dbName}" TO ${role}`);
    const url = new URL(fx.url);
    url.username = role;
    url.password = password;
    const db = createDatabase(url.href);
    try {
      await fx.write({ '001_t.sql': sqlMigration('CREATE TABLE big (id bigint, v text);', 'DROP TABLE big;') });
      const { DatabaseMigrationManager } = await import('../src/index.js');
      await using m = new DatabaseMigrationManager(db, { migrationsDir: fx.dir });
      const run = await m.runMigration();
      expect(run.errorMessage).toBeUndefined();
      await fx.write(TS_INDEX);
      const report = await m.lint();
      expect(report.capture.executedOn).toBe('live-rolled-back');
      expect(report.capture.scratchError).toMatch(/permission denied to create database/);
      expect(report.captureErrors).toEqual([]);
      expect(report.findings.find((f) => f.rule === 'require-concurrent-index-creation')?.migration).toBe('002_idx');
      const idx = await db.query("SELECT to_regclass('big_v') AS r");
      expect(idx.rows[0]!.r).toBeNull();
    } finally {
      await db.close();
      await fx.db.query(`DROP OWNED BY ${role}`);
      await fx.db.query(`DROP ROLE ${role}`);
    }
  });
});
