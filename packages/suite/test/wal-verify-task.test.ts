import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';
import { runCli } from './support/run-cli.js';
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
  it('a missing segment after the base backup becomes a critical backup status issue naming it, in this process and in a separate dbrs status', async () => {
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

    // A separate process (dbrs status) sees the result the cycle stored next to the archive.
    const env = { ...c.env, DATABASE_URL: c.server.url, BACKUP_ENABLED: 'true', BACKUP_TYPE: 'physical' };
    const cli = await runCli(['status', '--json'], { env, timeoutMs: 120_000 });
    const other = cli.json();
    const seen = other.issues.find((i: { message: string }) => /WAL archive/.test(i.message));
    expect(seen, cli.stderr).toMatchObject({ severity: 'critical', component: 'backup' });
    expect(seen.message).toContain(`missing ${hole} (timeline 1)`);
    expect(seen.message).toMatch(/\(checked \d{4}-\d\d-\d\dT/);
    expect(other.components.backup.status).toBe('unhealthy');

    // The segment is back and another process verifies again: its newer, passing result clears the issue
    // here too, although this suite's own last cycle still found the gap.
    await rename(join(c.storePath, 'wal', `${hole}.moved`), join(c.storePath, 'wal', hole));
    const verify = await runCli(['wal', 'verify', '--json'], { env, timeoutMs: 120_000 });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.json()).toMatchObject({ ok: true, gaps: [] });
    const after = await suite.getComprehensiveStatus();
    expect(after.issues.filter((i) => /WAL archive/.test(i.message))).toEqual([]);
  });
});
