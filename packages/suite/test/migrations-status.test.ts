import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';
import { scratchDir, sql } from './support/suite-helpers.js';

const migration = (table: string) =>
  `-- migrate:up\nCREATE TABLE ${table} (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE ${table};\n`;

describe('migration state in the status and the maintenance cycle (real migrations directory)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const dir = scratchDir('dbrs-migrations-status-');
  writeFileSync(join(dir.path, '0002_rooms.sql'), migration('rooms'));
  writeFileSync(join(dir.path, '0003_rates.sql'), migration('rates'));
  let suite: DatabaseReliabilitySuite;

  beforeAll(async () => {
    suite = await createDatabaseReliabilitySuite(db.url, {
      poolMinSize: 1,
      poolMaxSize: 3,
      migrationsDir: dir.path,
      backupEnabled: false,
      performanceEnabled: false,
      capacityEnabled: false,
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await suite?.shutdown();
    dir.remove();
  });

  const migrationIssues = async () => {
    const status = await suite.getComprehensiveStatus();
    return { status, issues: status.issues.filter((i) => i.component === 'migrations') };
  };

  it('reports pending migrations with what to run, and the maintenance cycle never applies them', async () => {
    const { status, issues } = await migrationIssues();
    expect(status.components.migrations.status).toBe('healthy');
    expect(status.components.migrations.details).toMatchObject({
      pending: 2,
      pendingMigrations: ['0002_rooms', '0003_rates'],
    });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'info' });
    expect(issues[0]!.message).toContain('2 pending migration(s): 0002_rooms, 0003_rates');
    expect(issues[0]!.action).toContain('dbrs migrate up');

    const cycle = await suite.runMaintenanceCycle({ force: true });
    expect(cycle.tasksFailed).toBe(0);
    expect(cycle.tasks.some((t) => t.task.startsWith('migrations.'))).toBe(false);
    const tables = await sql(db.url, `SELECT 1 FROM pg_tables WHERE tablename IN ('rooms', 'rates')`);
    expect(tables).toEqual([]);
  });

  it('is healthy with no migration issue once the deploy applied them', async () => {
    const result = await suite.migrations!.runMigration({ targetRevision: 'head' });
    expect(result.success, result.errorMessage).toBe(true);
    const { status, issues } = await migrationIssues();
    expect(status.components.migrations.status).toBe('healthy');
    expect(status.components.migrations.message).toContain('current 0003_rates, 2 applied, 0 pending');
    expect(issues).toEqual([]);
  });

  it('reports an applied file that changed as a warning pointing at `dbrs migrate status`', async () => {
    appendFileSync(join(dir.path, '0002_rooms.sql'), '-- edited after it ran\n');
    const { status, issues } = await migrationIssues();
    expect(status.components.migrations.status).toBe('degraded');
    expect(status.components.migrations.details?.['checksumMismatches']).toEqual(['0002_rooms']);
    expect(status.overallHealth).toBe('degraded');
    const changed = issues.find((i) => i.message.includes('0002_rooms'));
    expect(changed?.severity).toBe('warning');
    expect(changed?.message).toContain('changed after it ran');
    expect(changed?.action).toContain('dbrs migrate status');
    expect(changed?.action).toContain('restore it from version control');
    // Reported, not acted on: the cycle still completes.
    expect((await suite.runMaintenanceCycle({ force: true })).tasksFailed).toBe(0);
  });

  it('reports a vanished applied file and a pending migration that sorts before the applied ones', async () => {
    renameSync(join(dir.path, '0003_rates.sql'), join(dir.path, 'rates.sql.bak'));
    writeFileSync(join(dir.path, '0001_early.sql'), migration('early'));
    const { status, issues } = await migrationIssues();
    expect(status.components.migrations.status).toBe('degraded');
    expect(status.components.migrations.details).toMatchObject({
      missingFiles: ['0003_rates'],
      outOfOrder: ['0001_early'],
    });
    const missing = issues.find((i) => i.message.includes('0003_rates has no file'));
    expect(missing?.action).toContain('dbrs migrate status');
    const early = issues.find((i) => i.message.includes('0001_early') && i.message.includes('sort before'));
    expect(early?.severity).toBe('warning');
    expect(early?.action).toContain('allowOutOfOrder');
  });
});
