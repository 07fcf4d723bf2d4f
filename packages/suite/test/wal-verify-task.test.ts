import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let suite: DatabaseReliabilitySuite;

beforeAll(async () => {
  c = await startWalCluster();
  suite = await createDatabaseReliabilitySuite(c.server.url, {
    poolMinSize: 1,
    poolMaxSize: 3,
    backupType: 'physical',
    storageType: 'local',
    backupLocalPath: c.storePath,
    backupEncryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    performanceEnabled: false,
    capacityEnabled: false,
    migrationsEnabled: false,
    logLevel: 'silent',
  });
  await suite.backup!.createBackup('postgres');
}, 300_000);
afterAll(async () => {
  await suite?.shutdown();
  await c?.done();
});

describe('the maintenance cycle verifies the WAL archive when archiving is on (real PostgreSQL 15)', {
  timeout: 600_000,
}, () => {
  it('a missing segment after the base backup becomes a critical backup status issue naming it', async () => {
    await c.db.query('CREATE TABLE marks (id int)');
    await c.db.query('INSERT INTO marks VALUES (1)');
    const hole = await c.switchWal();
    await c.db.query('INSERT INTO marks VALUES (2)');
    await c.waitArchived(await c.switchWal());
    const before = await suite.getComprehensiveStatus();
    expect(before.issues.filter((i) => /WAL archive/.test(i.message))).toEqual([]);

    await rename(join(c.storePath, 'wal', hole), join(c.storePath, 'wal', `${hole}.moved`));
    const cycle = await suite.runMaintenanceCycle();
    const task = cycle.tasks.find((t) => t.task === 'backup.wal-verify');
    expect(task, JSON.stringify(cycle.tasks)).toMatchObject({
      outcome: 'completed',
      details: { ok: false, gaps: 1, unreachable: 0 },
    });
    const status = await suite.getComprehensiveStatus();
    const issue = status.issues.find((i) => i.component === 'backup' && /WAL archive/.test(i.message));
    expect(issue).toMatchObject({ severity: 'critical' });
    expect(issue!.message).toContain(`missing ${hole} (timeline 1)`);
    expect(issue!.action).toMatch(/dbrs wal verify/);
    expect(status.components.backup.status).toBe('unhealthy');
  });
});
