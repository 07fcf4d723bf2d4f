import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../packages/core/src/index.js';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../../packages/suite/src/index.js';
import { runCli } from '../../packages/suite/test/support/run-cli.js';
import { scratchDir, sql } from '../../packages/suite/test/support/suite-helpers.js';

// Issue #11: `dbrs status` created tables (dbrs_migrations*, voicehive_capacity_samples) in the application's
// database as a side effect of a read. A read creates nothing; the suite's own tables live in one schema of
// its own (`dbrs`, database.stateSchema) created on the first write; a log an older release kept in `public`
// is used where it is (never replayed) with a warning naming the move.

/** Every schema and relation outside the catalogs, plus functions (the audit trigger's) outside them. */
const OBJECTS = `
  SELECT 'schema ' || nspname AS o FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
  UNION ALL
  SELECT 'rel ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  UNION ALL
  SELECT 'fn ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  ORDER BY 1`;

const objects = async (url: string) => (await sql<{ o: string }>(url, OBJECTS)).map((r) => r.o);

describe('a status read creates nothing; suite state lives in one schema (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-state-schema-');
  const migrations = join(work.path, 'migrations');
  const config = () => ({
    logging: { level: 'silent' as const },
    migrations: { migrationsDir: migrations, testFirst: false },
    backup: { localPath: join(work.path, 'backups') },
  });

  beforeAll(() => {
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_rooms.sql'),
      '-- migrate:up\nCREATE TABLE rooms (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE rooms;\n',
    );
  });
  afterAll(() => work.remove());

  it('getComprehensiveStatus, the page data and `dbrs status` leave the catalog as it was', async () => {
    const before = await objects(db.url);
    let suite: DatabaseReliabilitySuite | undefined;
    try {
      suite = await createDatabaseReliabilitySuite(db.url, config());
      expect(suite.features.migrations.state).toBe('active');
      expect(suite.features.capacity.state).toBe('active');
      const status = await suite.getComprehensiveStatus();
      // The status really read each component (a failed read would make this test pass vacuously).
      expect(status.components.migrations.status).toBe('healthy');
      expect(status.components.capacity.status).not.toBe('unhealthy');
      await suite.getStatusPageData();
    } finally {
      await suite?.shutdown();
    }
    const cli = await runCli(['status'], {
      env: {
        DATABASE_URL: db.url,
        LOG_LEVEL: 'silent',
        MIGRATIONS_DIR: migrations,
        BACKUP_LOCAL_PATH: join(work.path, 'backups'),
      },
      cwd: work.path,
      timeoutMs: 120_000,
    });
    expect(cli.code, cli.stderr).not.toBeNull();
    expect(cli.stdout).toMatch(/migrations/i);
    expect(await objects(db.url)).toEqual(before);
  });

  it('the first writes create the schema `dbrs` and put every suite table there, none in public', async () => {
    const suite = await createDatabaseReliabilitySuite(db.url, config());
    try {
      const run = await suite.migrations!.runMigration({ actor: 'test' });
      expect(run.success, JSON.stringify(run)).toBe(true);
      await suite.capacity!.collectSample();
      await suite.runMaintenanceCycle({ actor: 'test' });
    } finally {
      await suite.shutdown();
    }
    const all = await objects(db.url);
    const suiteTables = all.filter((o) => /dbrs_|voicehive_/.test(o));
    expect(suiteTables.length).toBeGreaterThanOrEqual(5);
    for (const o of suiteTables) expect(o, 'suite object outside schema dbrs').toMatch(/^(rel|fn) dbrs\./);
    expect(all).toContain('rel dbrs.dbrs_migrations');
    expect(all).toContain('rel dbrs.voicehive_capacity_samples');
    expect(all).toContain('rel dbrs.dbrs_audit_log');
    expect(all).toContain('rel dbrs.dbrs_maintenance_state');
    expect(all).toContain('rel public.rooms');
  });
});

describe('database.stateSchema and a section schema (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-state-configured-');
  const migrations = join(work.path, 'migrations');
  beforeAll(() => {
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_t.sql'),
      '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n',
    );
  });
  afterAll(() => work.remove());

  it('every suite table goes to the configured state schema; audit.schema wins for the audit log', async () => {
    const suite = await createDatabaseReliabilitySuite(db.url, {
      logging: { level: 'silent' },
      database: { stateSchema: 'ops_state' },
      audit: { schema: 'ops_audit' },
      migrations: { migrationsDir: migrations, testFirst: false },
      backup: { localPath: join(work.path, 'backups') },
    });
    try {
      expect((await suite.migrations!.runMigration({ actor: 'test' })).success).toBe(true);
      await suite.capacity!.collectSample();
      await suite.runMaintenanceCycle({ actor: 'test' });
    } finally {
      await suite.shutdown();
    }
    const all = await objects(db.url);
    expect(all).toEqual(
      expect.arrayContaining([
        'rel ops_state.dbrs_migrations',
        'rel ops_state.dbrs_migrations_schema',
        'rel ops_state.voicehive_capacity_samples',
        'rel ops_state.dbrs_maintenance_state',
        'rel ops_audit.dbrs_audit_log',
        'fn ops_audit.dbrs_audit_log_append_only',
      ]),
    );
    expect(all.filter((o) => o.startsWith('schema dbrs'))).toEqual([]);
  });
});

describe('a migration log an older release kept in public (real PostgreSQL)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-state-legacy-');
  const migrations = join(work.path, 'migrations');

  beforeAll(async () => {
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_rooms.sql'),
      '-- migrate:up\nCREATE TABLE rooms (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE rooms;\n',
    );
    // Apply it the way an older release did: log in public.
    const old = await createDatabaseReliabilitySuite(db.url, {
      logging: { level: 'silent' },
      migrations: { migrationsDir: migrations, testFirst: false, schema: 'public' },
    });
    try {
      expect((await old.migrations!.runMigration({ actor: 'test' })).success).toBe(true);
    } finally {
      await old.shutdown();
    }
  });
  afterAll(() => work.remove());

  it('is used where it is: nothing pending, nothing replayed, a warning with the statements that move it', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const suite = await createDatabaseReliabilitySuite(
      db.url,
      { migrations: { migrationsDir: migrations, testFirst: false } },
      { logger },
    );
    try {
      const status = await suite.migrations!.status();
      expect(status.pending).toEqual([]);
      expect(status.applied.map((a) => a.name)).toEqual(['0001_rooms']);
      const run = await suite.migrations!.runMigration({ actor: 'test' });
      expect(run.success).toBe(true);
      expect(run.applied).toEqual([]);
    } finally {
      await suite.shutdown();
    }
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'state_table_previous_location');
    expect(warning?.sql).toContain('ALTER TABLE "public"."dbrs_migrations" SET SCHEMA "dbrs"');
    expect(warning?.sql).toContain('ALTER TABLE "public"."dbrs_migrations_schema" SET SCHEMA "dbrs"');
    const names = await objects(db.url);
    expect(names).not.toContain('rel dbrs.dbrs_migrations');
  });
});
