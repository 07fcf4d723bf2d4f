import { DatabaseBackupManager, LocalStorage } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let mgr: DatabaseBackupManager;
let writing = true;
let writer: Promise<void>;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A live workload: a marker row every 150 ms, a WAL switch every ~second, until the test ends. */
async function writeMarkers(): Promise<void> {
  for (let i = 1; writing; i++) {
    await c.db.query('INSERT INTO marks (id) VALUES ($1)', [i]);
    if (i % 6 === 0) await c.switchWal();
    await pause(150);
  }
}

beforeAll(async () => {
  // Commit timestamps: the rows a time target keeps are those committed at or before it (PostgreSQL's rule).
  c = await startWalCluster({ settings: { track_commit_timestamp: 'on' } });
  await c.db.query('CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
  mgr = new DatabaseBackupManager(c.db, {
    storage: new LocalStorage({ path: c.storePath }),
    encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    backupType: 'physical',
    scryptLogN: 15,
  });
  await mgr.createBackup('postgres');
  writer = writeMarkers();
  await pause(8_000);
  await c.waitArchived(await c.switchWal());
}, 300_000);
afterAll(async () => {
  writing = false;
  await writer?.catch(() => {});
  await mgr?.close();
  await c?.done();
});

describe('level-3 verification by a real point-in-time restore (PostgreSQL 15, archive_command = dbrs)', {
  timeout: 600_000,
}, () => {
  it('a random moment inside the window: exactly the marker rows committed by then; RTO per GB and replay rate recorded', async () => {
    let restored: number[] = [];
    const draws: number[] = [];
    const r = await mgr.verifyPointInTime({
      random: () => {
        const x = Math.random();
        draws.push(x);
        return x;
      },
      check: async (connect) => {
        const db = connect('postgres');
        try {
          restored = (await db.query<{ id: number }>('SELECT id FROM marks ORDER BY id')).rows.map((x) => x.id);
        } finally {
          await db.close();
        }
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(draws).toHaveLength(1);
    expect(r.at.getTime()).toBeGreaterThanOrEqual(r.window.earliest.getTime());
    expect(r.at.getTime()).toBeLessThan(r.window.latest.getTime());
    const expected = (
      await c.db.query<{ id: number }>('SELECT id FROM marks WHERE pg_xact_commit_timestamp(xmin) <= $1 ORDER BY id', [
        r.at,
      ])
    ).rows.map((x) => x.id);
    expect(restored).toEqual(expected);
    expect(r.reached?.lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(r.baseBytes).toBeGreaterThan(0);
    expect(r.recoveryMs).toBeGreaterThan(0);
    expect(r.replayMs).toBeGreaterThan(0);
    expect(r.replayMs!).toBeLessThanOrEqual(r.recoveryMs!);
    expect(r.walFiles).toBeGreaterThan(0);
    expect(r.walBytes).toBeGreaterThan(0);
    expect(r.rtoSecondsPerGb).toBeCloseTo(r.recoveryMs! / 1000 / (r.baseBytes! / 1e9), 6);
    expect(r.walReplayBytesPerSecond).toBeCloseTo(r.walBytes! / (r.replayMs! / 1000), 3);
    console.log(
      `pitr verify: target ${r.at.toISOString()} rows ${restored.length}, recovery ${r.recoveryMs} ms (replay ${r.replayMs} ms), base ${r.baseBytes} B, WAL ${r.walFiles} files ${r.walBytes} B, ${r.rtoSecondsPerGb?.toFixed(1)} s/GB, ${((r.walReplayBytesPerSecond ?? 0) / 1e6).toFixed(1)} MB/s`,
    );
  });

  it('a moment whose WAL is missing fails the verification with the reason, never ok', async () => {
    const w = await mgr.getRecoveryWindow();
    const { readdir, rename } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const segs = (await readdir(join(c.storePath, 'wal'))).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
    // Hide every segment after the base backup's first: recovery cannot get far past the backup's end.
    const hidden = segs.slice(2);
    for (const n of hidden) await rename(join(c.storePath, 'wal', n), join(c.storePath, 'wal', `${n}.hidden`));
    try {
      const r = await mgr.verifyPointInTime({ at: new Date(w.latest!.getTime() - 1000) });
      expect(r.ok).toBe(false);
      expect(r.error?.code).toMatch(/INVALID_ARGUMENT|RESTORE_FAILED/);
    } finally {
      for (const n of hidden) await rename(join(c.storePath, 'wal', `${n}.hidden`), join(c.storePath, 'wal', n));
    }
  });
});
