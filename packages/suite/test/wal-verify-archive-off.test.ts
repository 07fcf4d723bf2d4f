import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';

/**
 * With archive_mode off the WAL check skips, and status then reads no stored
 * WAL verify result (a storage request on every /status, for an archive this
 * database does not feed): a failing record someone left in the storage after
 * the skip is not an issue here.
 */
describe('backup.wal-verify on a server without WAL archiving (real PostgreSQL 15)', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  let store: string;
  let suite: DatabaseReliabilitySuite;

  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'dbrs-walverify-off-'));
    suite = await createDatabaseReliabilitySuite(db.url, {
      poolMinSize: 1,
      poolMaxSize: 3,
      backupType: 'physical',
      storageType: 'local',
      backupLocalPath: store,
      backupEncryptionKey: 'k'.repeat(32),
      performanceEnabled: false,
      capacityEnabled: false,
      migrationsEnabled: false,
      logLevel: 'silent',
    });
  }, 120_000);
  afterAll(async () => {
    await suite?.shutdown();
    if (store) await rm(store, { recursive: true, force: true });
  });

  it('skips, and a failing record stored after the skip does not become an issue', async () => {
    const cycle = await suite.runMaintenanceCycle();
    const task = cycle.tasks.find((t) => t.task === 'backup.wal-verify');
    expect(task, JSON.stringify(cycle.tasks)).toMatchObject({
      outcome: 'completed',
      details: { skipped: expect.stringMatching(/archive_mode/) },
    });
    await mkdir(join(store, 'wal', '_meta'), { recursive: true });
    const gap = { from: '000000010000000000000003', to: '000000010000000000000003', timeline: 1, missing: 1 };
    const record = {
      at: new Date(Date.now() + 1000).toISOString(),
      ok: false,
      gaps: [gap],
      unreachable: [],
      backups: 1,
    };
    await writeFile(join(store, 'wal', '_meta', 'last-verify.json'), `${JSON.stringify(record)}\n`);
    // The record is readable: the manager itself returns it.
    expect(await suite.backup!.lastWalVerify()).toMatchObject({ ok: false });
    const status = await suite.getComprehensiveStatus();
    expect(status.issues.filter((i) => /WAL archive/.test(i.message))).toEqual([]);
  });
});
