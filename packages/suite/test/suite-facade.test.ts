import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseBackupManager } from '@voicehive/db-backup';
import { DatabaseCapacityManager } from '@voicehive/db-capacity';
import { isDbrsError } from '@voicehive/db-core';
import { DatabaseMigrationManager } from '@voicehive/db-migrations';
import { DatabasePerformanceOptimizer } from '@voicehive/db-performance';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';
import { auditCounts, scratchDir, sql } from './support/suite-helpers.js';

const ENCRYPTION_KEY = 'suite-test-passphrase-0123456789';

describe('createDatabaseReliabilitySuite against real PostgreSQL', () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.05, seed: 7 } });
  const backups = scratchDir('dbrs-suite-backups-');
  const migrationsDir = scratchDir('dbrs-suite-migrations-');
  writeFileSync(
    join(migrationsDir.path, '0001_loyalty.sql'),
    '-- migrate:up\nCREATE TABLE loyalty (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE loyalty;\n',
  );
  let suite: DatabaseReliabilitySuite;

  const flatConfig = () => ({
    poolMinSize: 1,
    poolMaxSize: 5,
    backupType: 'logical' as const,
    storageType: 'local' as const,
    backupLocalPath: backups.path,
    backupEncryptionKey: ENCRYPTION_KEY,
    retentionDays: 30,
    migrationsDir: migrationsDir.path,
    logLevel: 'silent',
  });

  beforeAll(async () => {
    suite = await createDatabaseReliabilitySuite(db.url, flatConfig());
  });
  afterAll(async () => {
    await suite?.shutdown();
    backups.remove();
    migrationsDir.remove();
  });

  it('wires every available feature and reports the rest as not available', async () => {
    expect(suite.features.backup.state).toBe('active');
    expect(suite.features.capacity.state).toBe('active');
    expect(suite.features.performance.state).toBe('active');
    expect(suite.features.migrations.state).toBe('active');
    // pgBouncer is off by default (pgbouncer.enabled = false).
    expect(suite.features.pgbouncer.state).toBe('disabled');
    expect(suite.backup).toBeInstanceOf(DatabaseBackupManager);
    expect(suite.performance).toBeInstanceOf(DatabasePerformanceOptimizer);
    expect(suite.migrations).toBeInstanceOf(DatabaseMigrationManager);
    expect(suite.capacity).toBeInstanceOf(DatabaseCapacityManager);
    for (const [name, f] of Object.entries(suite.features)) {
      if (f.state !== 'active') expect(['not_available', 'disabled'], name).toContain(f.state);
    }
    const status = await suite.getComprehensiveStatus();
    expect(Object.keys(status.components)).toEqual([
      'database',
      'performance',
      'backup',
      'migrations',
      'capacity',
      'pgbouncer',
    ]);
    expect(status.components.database.status).toBe('healthy');
    expect(status.components.capacity.status).toBe('healthy');
    expect(status.components.migrations.message).toContain('1 pending');
    expect(status.issues.some((i) => i.component === 'migrations' && i.message.includes('0001_loyalty'))).toBe(true);
    expect(['healthy', 'degraded']).toContain(status.components.performance.status);
    // No backup yet: degraded, with an issue that says what to do.
    expect(status.components.backup.status).toBe('degraded');
    expect(status.issues.find((i) => i.component === 'backup')?.action).toContain('dbrs backup create');
    expect(status.overallHealth).toBe('degraded');
    for (const [name, f] of Object.entries(suite.features)) {
      if (f.state === 'not_available') expect(status.components[name as 'performance'].status).toBe('not_available');
    }
  });

  it('runs a maintenance cycle: sample, encrypted backup, restore-test verification, retention, ANALYZE', async () => {
    const cycle = await suite.runMaintenanceCycle();
    expect(cycle.ran).toBe(true);
    expect(cycle.tasksFailed, JSON.stringify(cycle.tasks)).toBe(0);
    const byName = Object.fromEntries(cycle.tasks.map((t) => [t.task, t]));
    for (const t of [
      'capacity.sample',
      'performance.snapshot',
      'performance.analysis',
      'backup.create',
      'backup.verify-latest',
      'backup.cleanup',
      'database.analyze-stale',
    ]) {
      expect(byName[t]?.outcome, t).toBe('completed');
    }
    expect(cycle.tasksCompleted).toBe(cycle.tasks.length);

    const list = await suite.backup!.listBackups();
    expect(list).toHaveLength(1);
    expect(list[0]!.manifest.encryption).not.toBeNull();
    expect(list[0]!.manifest.verification).toMatchObject({ ok: true, level: 3 });

    const status = await suite.getComprehensiveStatus();
    expect(status.components.backup.status).toBe('healthy');
    const page = await suite.getStatusPageData();
    expect(page.backups[0]).toMatchObject({ backupId: list[0]!.backupId, verification: 'passed' });
    expect(page.capacity?.history.length).toBeGreaterThan(0);

    // A second cycle right away finds nothing due.
    const again = await suite.runMaintenanceCycle();
    expect(again.tasksCompleted).toBe(0);
    expect(again.tasks.every((t) => t.outcome === 'skipped-not-due')).toBe(true);
    const counts = await auditCounts(db.url);
    expect(counts['maintenance.backup.create:success']).toBe(1);
  });

  it('ANALYZEs tables whose statistics are stale', async () => {
    await sql(db.url, 'CREATE TABLE stale_stats (id int)');
    await sql(db.url, 'INSERT INTO stale_stats SELECT generate_series(1, 5000)');
    const cycle = await suite.runMaintenanceCycle({ force: true });
    const analyze = cycle.tasks.find((t) => t.task === 'database.analyze-stale')!;
    expect(analyze.outcome).toBe('completed');
    expect(analyze.details?.['analyzed']).toContain('public.stale_stats');
    const [row] = await sql<{ last_analyze: Date | null }>(
      db.url,
      `SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'stale_stats'`,
    );
    expect(row?.last_analyze).not.toBeNull();
  });

  it('runs each task once per cycle when two instances share the database', async () => {
    // Reset "last completed" so every task is due again, then race two instances.
    await sql(db.url, 'DELETE FROM dbrs.dbrs_maintenance_state');
    const before = await auditCounts(db.url);
    const other = await createDatabaseReliabilitySuite(db.url, flatConfig());
    try {
      const [a, b] = await Promise.all([
        suite.runMaintenanceCycle({ lockTimeoutMs: 120_000 }),
        other.runMaintenanceCycle({ lockTimeoutMs: 120_000 }),
      ]);
      expect(a.tasksFailed + b.tasksFailed).toBe(0);
      const after = await auditCounts(db.url);
      const ranNow = (action: string) => (after[`${action}:success`] ?? 0) - (before[`${action}:success`] ?? 0);
      for (const task of suite.maintenanceTasks().map((t) => t.name)) {
        const completed = [a, b]
          .flatMap((c) => c.tasks)
          .filter((t) => t.task === task && t.outcome === 'completed').length;
        expect(completed, task).toBeLessThanOrEqual(1);
        expect(ranNow(`maintenance.${task}`), task).toBe(completed);
      }
      expect(ranNow('maintenance.capacity.sample')).toBe(1);
      expect(ranNow('maintenance.database.analyze-stale')).toBe(1);
    } finally {
      await other.shutdown();
    }
  });

  it('serves with the configured trustProxy: sign-in failures count per forwarded client address', async () => {
    const key = 'operator-key-0123456789';
    const s = await createDatabaseReliabilitySuite(db.url, {
      ...flatConfig(),
      apiKey: key,
      trustProxy: 1,
      capacityEnabled: false,
    });
    try {
      const server = await s.serve({ port: 0, host: '127.0.0.1' });
      const status = (client: string, bearer: string) =>
        fetch(`${server.url}/status`, {
          headers: { authorization: `Bearer ${bearer}`, 'x-forwarded-for': client },
        }).then((r) => r.status);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push(await status('203.0.113.7', 'wrong-key-0123456789'));
      expect(codes).toEqual([401, 401, 401, 401, 429]);
      // The same socket, another forwarded client: not locked out, so the address came from the header.
      expect(await status('203.0.113.8', key)).toBe(200);
      expect(await status('203.0.113.7', key)).toBe(429);
    } finally {
      await s.shutdown();
    }
  });

  it('rejects an invalid configuration up front, naming every bad key and no value', async () => {
    const err = await createDatabaseReliabilitySuite(db.url, {
      poolMinSize: 10,
      poolMaxSize: 2,
      storageType: 's3',
      backupAzureConnectionString: 'AccountKey=c2VjcmV0c2VjcmV0;',
      retentionDays: -1,
      trustProxy: -1,
      poolMaxSise: 3,
    } as never).catch((e: unknown) => e);
    expect(isDbrsError(err, 'CONFIG_INVALID')).toBe(true);
    const message = (err as Error).message;
    for (const key of [
      'database.poolMinSize',
      'backup.s3Bucket',
      'backup.retentionDays',
      'server.trustProxy',
      'poolMaxSise',
    ])
      expect(message).toContain(key);
    expect(message).not.toContain('c2VjcmV0c2VjcmV0');
  });

  it('shutdown during a running backup aborts it and leaves no partial backup listed', async () => {
    const local = scratchDir('dbrs-shutdown-');
    const s = await createDatabaseReliabilitySuite(db.url, {
      ...flatConfig(),
      backupLocalPath: local.path,
      capacityEnabled: false,
    });
    try {
      const running = s.actions!['backup']!.run({ actor: 'test' });
      running.catch(() => {});
      // Wait until the backup is writing its first object (before its manifest).
      const deadline = Date.now() + 20_000;
      while (
        Date.now() < deadline &&
        readdirSync(local.path, { recursive: true }).filter((f) => /dump|\.tmp|vhbk/.test(String(f))).length === 0
      ) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await s.shutdown({ timeoutMs: 0 });
      const outcome = await running.then(
        () => 'completed',
        (e: unknown) => (isDbrsError(e) ? e.code : 'error'),
      );
      await using manager = new DatabaseBackupManager(db.url, {
        storageType: 'local',
        localPath: local.path,
        encryptionKey: ENCRYPTION_KEY,
      });
      await manager.initialize();
      const listed = await manager.listBackups();
      if (outcome === 'completed') {
        // The dump won the race: then it must be whole (manifest written last).
        expect(listed).toHaveLength(1);
      } else {
        expect(listed).toEqual([]);
        const manifests = existsSync(local.path)
          ? readdirSync(local.path, { recursive: true }).filter((f) => String(f).endsWith('manifest.json'))
          : [];
        expect(manifests).toEqual([]);
      }
      // Aborted (ABORTED, or the tool failure the kill caused): a DbrsError either way, never a plain crash.
      expect(outcome).not.toBe('error');
    } finally {
      await s.shutdown();
      local.remove();
    }
  });
});
