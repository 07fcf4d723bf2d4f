// testFirst overhead against the bare apply, on the hotel database at two sizes.
// Run: scripts/run-source.sh bench/migrations/testfirst-overhead.ts [scaleSmall] [scaleLarge]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@voicehive/db-core';
import { DatabaseMigrationManager } from '@voicehive/db-migrations';
import { createTestDatabase, loadHotelWorkload, startPostgres } from '@voicehive/db-testing';
import { saveResult } from './results-file.js';

const scales = [Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 50)];

// A realistic deploy: an expand step, a constraint done the safe way, and a concurrent index.
const MIGRATIONS: Record<string, string> = {
  '001_guest_marketing.sql':
    '-- migrate:up\nALTER TABLE guests ADD COLUMN marketing_opt_in boolean DEFAULT false;\n-- migrate:down\nALTER TABLE guests DROP COLUMN marketing_opt_in;\n',
  '002_booking_nights_check.sql':
    '-- migrate:up\nALTER TABLE bookings ADD CONSTRAINT bookings_dates_ok CHECK (check_out_date >= check_in_date) NOT VALID;\n-- migrate:down\nALTER TABLE bookings DROP CONSTRAINT bookings_dates_ok;\n',
  // A VALIDATE cannot be undone in place; its exact inverse re-adds the constraint NOT VALID
  // (the scratch test caught the first draft, whose down was a no-op).
  '003_validate.sql':
    '-- migrate:up\nALTER TABLE bookings VALIDATE CONSTRAINT bookings_dates_ok;\n-- migrate:down\nALTER TABLE bookings DROP CONSTRAINT bookings_dates_ok;\nALTER TABLE bookings ADD CONSTRAINT bookings_dates_ok CHECK (check_out_date >= check_in_date) NOT VALID;\n',
  '004_payments_booking_idx.sql':
    '-- dbrs:no-transaction\n-- migrate:up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS payments_booking_id_idx ON payments (booking_id);\n-- migrate:down\nDROP INDEX CONCURRENTLY IF EXISTS payments_booking_id_idx;\n',
};

const server = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'dbrs-mig-bench-'));
for (const [f, t] of Object.entries(MIGRATIONS)) writeFileSync(join(dir, f), t);
const out: Record<string, unknown>[] = [];
try {
  for (const scale of scales) {
    const template = await createTestDatabase(server);
    await loadHotelWorkload(template.url, { scale, seed: 42 });
    const size = await (async () => {
      const db = createDatabase(template.url);
      const r = await db.query<{ s: string }>('SELECT pg_database_size(current_database())::text AS s');
      await db.close();
      return Number(r.rows[0]!.s);
    })();
    const measure = async (mode: 'bare' | 'schema' | 'full'): Promise<{ ms: number; testMs?: number }> => {
      const copy = await createTestDatabase(server, { template: template.name });
      const db = createDatabase(copy.url);
      try {
        const m = new DatabaseMigrationManager(db, {
          migrationsDir: dir,
          ...(mode === 'bare' ? {} : { testOptions: { data: mode } }),
        });
        const t0 = performance.now();
        const run = await m.runMigration({ testFirst: mode !== 'bare' });
        const ms = performance.now() - t0;
        if (!run.success) throw new Error(`${mode} run failed: ${run.errorMessage}`);
        await m.close();
        return { ms, ...(run.report.test ? { testMs: run.report.test.durationMs } : {}) };
      } finally {
        await db.close();
        await copy.drop();
      }
    };
    const reps = 3;
    const med = async (mode: 'bare' | 'schema' | 'full') => {
      const xs: number[] = [];
      for (let i = 0; i < reps; i++) xs.push((await measure(mode)).ms);
      return xs.sort((a, b) => a - b)[1]!;
    };
    const bare = await med('bare');
    const schema = await med('schema');
    const full = await med('full');
    const row = {
      scale,
      databaseBytes: size,
      bareApplyMs: Math.round(bare),
      testFirstSchemaOnlyMs: Math.round(schema),
      testFirstFullDataMs: Math.round(full),
      overheadSchemaOnlyMs: Math.round(schema - bare),
      overheadFullDataMs: Math.round(full - bare),
      ratioSchemaOnly: Number((schema / bare).toFixed(2)),
      ratioFullData: Number((full / bare).toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(row)}\n`);
    out.push(row);
    await template.drop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}
saveResult('testFirstOverhead', {
  migrations: Object.keys(MIGRATIONS),
  repetitions: 3,
  note: 'median of 3; each run on a fresh CREATE DATABASE ... TEMPLATE copy of the loaded hotel database; testFirst = scratch copy (pg_dump | psql), then per migration up/down/up with lock tracing and probe load, then the real apply',
  sizes: out,
});
