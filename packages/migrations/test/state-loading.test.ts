import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { MigrationStorage } from '../src/runner/storage.js';
import { type Fixture, fixture, sqlMigration } from './helpers.js';

// A pass-through spy: the real loader runs, the test only counts how often the manager asks for it.
const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/sources/load-migrations.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/sources/load-migrations.js')>();
  return {
    ...real,
    loadMigrations: async (dir: string) => {
      loads.count++;
      return real.loadMigrations(dir);
    },
  };
});

let fx: Fixture | undefined;
beforeEach(() => {
  loads.count = 0;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fx?.cleanup();
  fx = undefined;
});

it('loads the migrations once per operation, including the first one that initializes, and re-reads them per operation', async () => {
  fx = await fixture({
    '001_t.sql': sqlMigration('CREATE TABLE t (id bigint);', 'DROP TABLE t;'),
    '002_mod.mjs':
      'export const up = async ({ sql, db }) => { await sql`ALTER TABLE t ADD COLUMN a bigint`.execute(db); };\n' +
      'export const down = async ({ sql, db }) => { await sql`ALTER TABLE t DROP COLUMN a`.execute(db); };\n',
  });
  const m = fx.manager();
  expect((await m.status()).pending).toEqual(['001_t', '002_mod']);
  expect(loads.count).toBe(1);

  // A long-lived process sees files added between operations.
  await fx.write({ '003_u.sql': sqlMigration('CREATE TABLE u (id bigint);', 'DROP TABLE u;') });
  expect((await m.plan()).migrations.map((p) => p.name)).toEqual(['001_t', '002_mod', '003_u']);
  expect(loads.count).toBe(2);
});

it('a testFirst run reads the files and the applied list once, not again for the test step', async () => {
  fx = await fixture({
    '001_t.sql': sqlMigration('CREATE TABLE t (id bigint);', 'DROP TABLE t;'),
    '002_bad_down.sql': sqlMigration(
      'ALTER TABLE t ADD COLUMN a bigint;\nALTER TABLE t ADD COLUMN b bigint;',
      'ALTER TABLE t DROP COLUMN a;',
    ),
  });
  const m = fx.manager();
  await m.initialize();
  loads.count = 0;
  const appliedReads = vi.spyOn(MigrationStorage.prototype, 'applied');
  // The scratch test fails (the down leaves column b), so the run stops before taking the lock:
  // every read counted here belongs to planning and the test step.
  const run = await m.runMigration({ testFirst: true });
  expect(run.error?.code).toBe('MIGRATION_TEST_FAILED');
  expect(run.report.test?.migrations.map((x) => x.name)).toEqual(['001_t', '002_bad_down']);
  expect(loads.count).toBe(1);
  expect(appliedReads).toHaveBeenCalledTimes(1);
}, 60_000);
