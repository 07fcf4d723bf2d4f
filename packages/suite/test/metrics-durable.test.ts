import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { DatabaseMigrationManager } from '@voicehive/db-migrations';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite } from '../src/index.js';
import { scratchDir } from './support/suite-helpers.js';

/** `name{labels} value` lines of a Prometheus text exposition, by metric name. */
function series(text: string, name: string): Array<{ labels: string; value: number }> {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const m = /^[^{ ]+(\{[^}]*\})? (\S+)$/.exec(l)!;
      return { labels: m[1] ?? '', value: Number(m[2]) };
    });
}

/**
 * A restarted server (a new suite over the same storage and database, with
 * a fresh registry) must export what durable state says: the backup
 * catalog, the migrations and audit tables, the capacity sample store.
 */
describe('metrics from durable state survive a restart (real PostgreSQL, pg_dump, local storage)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const backups = scratchDir('dbrs-metrics-backups-');
  const migrations = scratchDir('dbrs-metrics-migrations-');
  const config = () => ({
    backupType: 'logical' as const,
    storageType: 'local' as const,
    backupLocalPath: backups.path,
    backupEncryptionKey: 'metrics-test-passphrase-0123456789',
    migrationsDir: migrations.path,
    logLevel: 'silent',
  });
  let before: string;
  let database: string;
  let backupIds: string[] = [];

  beforeAll(async () => {
    writeFileSync(
      join(migrations.path, '0001_rooms.sql'),
      '-- migrate:up\nCREATE TABLE rooms (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE rooms;\n',
    );
    await using first = await createDatabaseReliabilitySuite(db.url, config());
    database = first.database.info.database;
    // Nothing applied and no backup yet: those series are absent, not 0.
    await first.refreshDurableMetrics();
    before = await first.registry.metrics();
    const migrator = first.migrations as DatabaseMigrationManager;
    await migrator.runMigration();
    writeFileSync(
      join(migrations.path, '0002_broken.sql'),
      '-- migrate:up\nALTER TABLE no_such_table ADD COLUMN x int;\n-- migrate:down\nSELECT 1;\n',
    );
    // Applied for real (not on a scratch copy) so the failure is audited like a deploy's.
    expect((await migrator.runMigration({ testFirst: false })).success).toBe(false);
    const manager = first.backup as DatabaseBackupManager;
    const a = await manager.createBackup(database);
    const b = await manager.createBackup(database);
    backupIds = [a.backupId, b.backupId];
    await manager.verifyBackup(b.backupId, { level: 1 });
  }, 240_000);
  afterAll(() => {
    backups.remove();
    migrations.remove();
  });

  it('exports no timestamp for what has not happened', () => {
    expect(series(before, 'voicehive_migration_last_applied_timestamp_seconds')).toEqual([]);
    expect(series(before, 'voicehive_backup_last_success_timestamp_seconds')).toEqual([]);
    expect(series(before, 'voicehive_migrations_pending')).toEqual([{ labels: '', value: 1 }]);
  });

  it('after a restart, /metrics carries the backup, verification, migration and capacity series', async () => {
    await using suite = await createDatabaseReliabilitySuite(db.url, config());
    const server = await suite.serve({ port: 0, host: '127.0.0.1' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const now = Date.now() / 1000;

    const last = series(text, 'voicehive_backup_last_success_timestamp_seconds');
    expect(
      last,
      text
        .split('\n')
        .filter((l) => l.includes('refresh'))
        .join('\n'),
    ).toHaveLength(1);
    expect(last[0]!.labels).toBe(`{database="${database}",type="logical"}`);
    expect(now - last[0]!.value).toBeGreaterThanOrEqual(0);
    expect(now - last[0]!.value).toBeLessThan(600);
    expect(series(text, 'voicehive_backup_size_bytes')[0]!.value).toBeGreaterThan(0);
    expect(series(text, 'voicehive_backup_status')).toEqual([
      { labels: `{database="${database}",type="logical"}`, value: 1 },
    ]);
    expect(series(text, 'voicehive_backup_catalog_backups')).toEqual([
      { labels: `{database="${database}"}`, value: backupIds.length },
    ]);
    expect(series(text, 'voicehive_backup_verification_status')).toEqual([
      { labels: `{database="${database}",level="1"}`, value: 1 },
    ]);
    expect(series(text, 'voicehive_backup_last_verification_timestamp_seconds')).toHaveLength(1);

    const applied = series(text, 'voicehive_migration_last_applied_timestamp_seconds');
    expect(applied).toHaveLength(1);
    expect(now - applied[0]!.value).toBeLessThan(600);
    expect(series(text, 'voicehive_migration_last_applied_info')).toEqual([
      { labels: '{name="0001_rooms"}', value: 1 },
    ]);
    const failed = series(text, 'voicehive_migration_failure_timestamp_seconds');
    expect(failed.map((f) => f.labels)).toEqual(['{name="0002_broken"}']);
    expect(series(text, 'voicehive_migrations_pending')).toEqual([{ labels: '', value: 1 }]);

    const size = series(text, 'voicehive_db_capacity_current_value').find((s) => s.labels.includes('database_size'));
    expect(size?.value).toBeGreaterThan(1_000_000);
    expect(series(text, 'voicehive_dbrs_metrics_refresh_total').filter((s) => s.labels.includes('failure'))).toEqual(
      [],
    );
  }, 120_000);
});
