import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, createDatabase, createMetrics, createScheduler } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupType, backupTasks, DatabaseBackupManager, generateRecipientKeyPair, StorageType } from '../src/index.js';
import { type Fixture, hotelFixture } from './helpers/setup.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await hotelFixture(1);
});
afterAll(async () => {
  await fx?.done();
});

const PASS = 'hotel backups passphrase 2026';

async function tableCounts(url: string): Promise<Record<string, number>> {
  const db = createDatabase(url, { poolMax: 1 });
  try {
    const res = await db.query<{ t: string; n: string }>(
      `SELECT format('%s.%s', schemaname, relname) AS t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', schemaname, relname), false, true, '')))[1]::text AS n
         FROM pg_stat_user_tables ORDER BY 1`,
    );
    return Object.fromEntries(res.rows.map((r) => [r.t, Number(r.n)]));
  } finally {
    await db.close();
  }
}

describe('DatabaseBackupManager (logical, local storage, real pg_dump/pg_restore)', () => {
  it('creates an encrypted zstd backup, lists it, records metrics and audit', async () => {
    const metrics = createMetrics();
    // The audit table lives in another database so the hotel database keeps exactly its workload tables.
    await using auditDb = createDatabase(fx.server.url, { poolMax: 1 });
    const audit = new AuditLog({ database: auditDb });
    const progress: string[] = [];
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, encryptionKey: PASS, metrics, audit });
    await mgr.initialize();
    const res = await mgr.createBackup(undefined, { onProgress: (e) => progress.push(e.phase) });
    expect(res.database).toBe(fx.dbName);
    expect(res.type).toBe(BackupType.LOGICAL);
    expect(res.storedBytes).toBeGreaterThan(0);
    expect(res.storedBytes).toBeLessThan(res.sizeBytes);
    const m = res.manifest;
    expect(m.compression).toBe('zstd');
    expect(m.encryption?.keyIds).toHaveLength(1);
    expect(m.tool.version).toMatch(/pg_dump \(PostgreSQL\) \d+/);
    expect(m.server.versionNum).toBe(fx.server.version.num);
    expect(m.objects.map((o) => o.name)).toEqual(['dump.pgdump.zst.vhbk']);
    expect(m.objects[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.snapshotId).toBeTruthy();
    expect(m.wal?.currentLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    for (const [table, n] of Object.entries(fx.rows)) expect(m.rowCounts?.[`public.${table}`]).toBe(n);
    expect(progress).toContain('dump');
    expect(progress.at(-1)).toBe('manifest');

    const listed = await mgr.listBackups({ database: fx.dbName });
    expect(listed.map((b) => b.backupId)).toContain(res.backupId);
    const text = await metrics.text();
    expect(text).toMatch(new RegExp(`voicehive_backup_status\\{database="${fx.dbName}",type="logical"\\} 1`));
    expect(text).toContain('voicehive_backup_duration_seconds_bucket');
    expect(text).toMatch(/voicehive_backup_size_bytes\{[^}]*\} \d+/);
    expect(text).toContain('voicehive_backup_last_success_timestamp_seconds');
    const entries = await audit.list({ action: 'backup.create' });
    expect(entries[0]).toMatchObject({ outcome: 'success', target: `${fx.dbName}/${res.backupId}` });
    expect(JSON.stringify(entries)).not.toContain(PASS);
    // The passphrase never reaches the stored bytes or the manifest.
    const raw = await readFile(
      join(fx.storage.location, encodeURIComponent(fx.dbName), res.backupId, 'manifest.json'),
      'utf8',
    );
    expect(raw).not.toContain(PASS);
  });

  it('verifies at levels 1, 2 and 3 (restore test with amcheck and row counts) and records the result', async () => {
    const metrics = createMetrics();
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, encryptionKey: PASS, metrics });
    const { backupId } = await mgr.createBackup();
    expect(await mgr.verifyBackup(backupId, { level: 1 })).toMatchObject({ ok: true, level: 1 });
    expect(await mgr.verifyBackup(backupId, { level: 2 })).toMatchObject({ ok: true, level: 2 });
    const v3 = await mgr.verifyBackup(backupId, { restoreTest: true });
    expect(v3).toMatchObject({ ok: true, level: 3, amcheck: 'passed', tablesCompared: Object.keys(fx.rows).length });
    expect(v3.restoreDurationMs).toBeGreaterThan(0);
    const [info] = await mgr.listBackups({ database: fx.dbName, verified: true });
    expect(info?.backupId).toBe(backupId);
    expect(info?.manifest.verification).toMatchObject({ level: 3, ok: true });
    // The scratch database is gone.
    const left = await fx.db.query("SELECT datname FROM pg_database WHERE datname LIKE 'vhbk_verify_%'");
    expect(left.rowCount).toBe(0);
    const text = await metrics.text();
    expect(text).toMatch(/voicehive_backup_verification_status\{database="[^"]+",level="3"\} 1/);
    expect(text).toMatch(/voicehive_backup_restore_test_duration_seconds\{[^}]*\} [\d.]+/);
  });

  it('restores into a new database, refuses a non-empty one, replaces with clean', async () => {
    // node:zlib's zstd here (the other tests use the zstd program when it is installed).
    await using mgr = new DatabaseBackupManager(fx.db, {
      storage: fx.storage,
      encryptionKey: PASS,
      zstdProgram: false,
    });
    const { backupId, manifest } = await mgr.createBackup();
    expect(manifest.compression).toBe('zstd');
    expect(manifest.sizes.storedBytes).toBeLessThan(manifest.sizes.rawBytes);
    const target = `${fx.dbName}_r`;
    const progress: string[] = [];
    const res = await mgr.restoreBackup(backupId, {
      targetDatabase: target,
      onProgress: (e) => progress.push(e.phase),
    });
    expect(res.targetDatabase).toBe(target);
    expect(progress).toContain('restore');
    const targetUrl = fx.url.replace(/\/[^/?]+(\?|$)/, `/${target}$1`);
    const counts = await tableCounts(targetUrl);
    for (const [table, n] of Object.entries(fx.rows)) expect(counts[`public.${table}`]).toBe(n);

    await expect(mgr.restoreBackup(backupId, { targetUrl })).rejects.toMatchObject({
      code: 'TARGET_NOT_EMPTY',
      message: expect.stringContaining('clean: true'),
    });
    await mgr.restoreBackup(backupId, { targetUrl, clean: true });
    expect((await tableCounts(targetUrl))['public.bookings']).toBe(fx.rows['bookings']);
    await fx.db.query(`DROP DATABASE "${target}" WITH (FORCE)`);
  });

  it('restores a subset of tables, and schema only', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, compression: 'gzip' });
    const { backupId, manifest } = await mgr.createBackup();
    expect(manifest.encryption).toBeNull();
    expect(manifest.objects[0]!.name).toBe('dump.pgdump.gz');
    await mgr.restoreBackup(backupId, { targetDatabase: `${fx.dbName}_t`, tables: ['public.hotels'] });
    const url = fx.url.replace(/\/[^/?]+(\?|$)/, `/${fx.dbName}_t$1`);
    expect(await tableCounts(url)).toEqual({ 'public.hotels': fx.rows['hotels'] });
    await mgr.restoreBackup(backupId, { targetDatabase: `${fx.dbName}_s`, schemaOnly: true });
    const schemaOnly = await tableCounts(fx.url.replace(/\/[^/?]+(\?|$)/, `/${fx.dbName}_s$1`));
    expect(Object.keys(schemaOnly).length).toBe(Object.keys(fx.rows).length);
    expect(Object.values(schemaOnly).every((n) => n === 0)).toBe(true);
    await fx.db.query(`DROP DATABASE "${fx.dbName}_t" WITH (FORCE)`);
    await fx.db.query(`DROP DATABASE "${fx.dbName}_s" WITH (FORCE)`);
  });

  it('directory format with parallel jobs, table filters and globals; parallel restore', async () => {
    const pair = generateRecipientKeyPair();
    await using writer = new DatabaseBackupManager(fx.db, {
      storage: fx.storage,
      encryptionRecipients: [pair.publicKey],
    });
    const res = await writer.createBackup(fx.dbName, { jobs: 2, excludeTables: ['call_events'], globals: true });
    const m = res.manifest;
    expect(m.format).toBe('directory');
    expect(m.encryption?.keyIds).toEqual([pair.keyId]);
    expect(m.objects.some((o) => o.role === 'globals')).toBe(true);
    expect(m.objects.filter((o) => o.role === 'directory-file').map((o) => o.path)).toContain('dir/toc.dat');
    expect(m.rowCounts?.['public.call_events']).toBeUndefined();
    expect(m.rowCounts?.['public.bookings']).toBe(fx.rows['bookings']);
    // The backup host holds only the public key: it cannot read its own backups.
    expect((await writer.verifyBackup(res.backupId, { level: 2 })).error?.code).toBe('DECRYPTION_FAILED');
    await using reader = new DatabaseBackupManager(fx.db, { storage: fx.storage, decryptionKeys: [pair.privateKey] });
    expect(await reader.verifyBackup(res.backupId, { level: 3, jobs: 2 })).toMatchObject({
      ok: true,
      amcheck: 'passed',
    });
  });

  it('one backup per database at a time (leader lock)', async () => {
    await using a = new DatabaseBackupManager(fx.db, { storage: fx.storage });
    await using b = new DatabaseBackupManager(fx.db, { storage: fx.storage });
    const results = await Promise.allSettled([a.createBackup(), b.createBackup()]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toMatchObject({ code: 'LOCK_NOT_ACQUIRED' });
  });

  it('a flipped byte fails level-1 verification naming the object; wrong key fails with DECRYPTION_FAILED', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage, encryptionKey: PASS });
    const { backupId, manifest } = await mgr.createBackup();
    await using wrong = new DatabaseBackupManager(fx.db, {
      storage: fx.storage,
      encryptionKey: 'not the right passphrase',
    });
    const wrongResult = await wrong.verifyBackup(backupId, { level: 2 });
    expect(wrongResult).toMatchObject({ ok: false, error: { code: 'DECRYPTION_FAILED' } });
    await expect(wrong.restoreBackup(backupId, { targetDatabase: `${fx.dbName}_w` })).rejects.toMatchObject({
      code: 'DECRYPTION_FAILED',
    });
    await fx.db.query(`DROP DATABASE IF EXISTS "${fx.dbName}_w" WITH (FORCE)`);

    const obj = manifest.objects[0]!;
    const path = join(fx.storage.location, encodeURIComponent(fx.dbName), backupId, obj.name);
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(path, bytes);
    const v1 = await mgr.verifyBackup(backupId, { level: 1 });
    expect(v1.ok).toBe(false);
    expect(v1.error).toMatchObject({ code: 'INTEGRITY_FAILED', object: obj.name });
    expect(v1.error?.message).toContain(obj.name);
    const listed = (await mgr.listBackups()).find((b) => b.backupId === backupId);
    expect(listed?.verified).toBe(false);
    expect(listed?.manifest.verification).toMatchObject({ ok: false, level: 1 });
  });

  it('builds storage from the flat config keys; a missing bucket is a config error', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, {
      storageType: StorageType.LOCAL,
      localPath: join(fx.dir, 'flat'),
    });
    const { backupId } = await mgr.createBackup();
    expect(mgr.storage.kind).toBe('local');
    expect(mgr.storage.location).toBe(join(fx.dir, 'flat'));
    expect((await mgr.listBackups()).map((b) => b.backupId)).toEqual([backupId]);
    await using bad = new DatabaseBackupManager(fx.db, { storageType: StorageType.S3 });
    await expect(bad.initialize()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('s3Bucket'),
    });
  });

  it('parallel restore of a custom-format backup (downloads to a temp file first)', async () => {
    await using mgr = new DatabaseBackupManager(fx.db, { storage: fx.storage });
    const { backupId } = await mgr.createBackup();
    await mgr.restoreBackup(backupId, { targetDatabase: `${fx.dbName}_j`, jobs: 2 });
    const counts = await tableCounts(fx.url.replace(/\/[^/?]+(\?|$)/, `/${fx.dbName}_j$1`));
    for (const [table, n] of Object.entries(fx.rows)) expect(counts[`public.${table}`]).toBe(n);
    await fx.db.query(`DROP DATABASE "${fx.dbName}_j" WITH (FORCE)`);
  });

  it('scheduled tasks for core Scheduler: backup, verify the newest, cleanup', async () => {
    const dir = join(fx.dir, 'scheduled');
    await using mgr = new DatabaseBackupManager(fx.db, { localPath: dir, keepLast: 1 });
    const scheduler = createScheduler();
    for (const t of backupTasks(mgr, {
      backupCron: '0 3 * * *',
      verifyCron: '0 4 * * *',
      verifyLevel: 2,
      cleanupCron: '0 5 * * *',
      leaderOnly: false,
    })) {
      scheduler.add(t);
    }
    expect((await scheduler.runNow('backup:create')).outcome).toBe('completed');
    expect((await scheduler.runNow('backup:create')).outcome).toBe('completed');
    expect((await scheduler.runNow('backup:verify')).outcome).toBe('completed');
    expect((await scheduler.runNow('backup:cleanup')).outcome).toBe('completed');
    const left = await mgr.listBackups();
    expect(left).toHaveLength(1);
    expect(left[0]!.verified).toBe(true);
    await scheduler.stop();
  });
});
