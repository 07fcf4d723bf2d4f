import { chmod, mkdir, mkdtemp, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseBackupManager, LocalStorage, type DatabaseBackupManager as Manager } from '@voicehive/db-backup';
import type { Database } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchiveStandby, startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
let mgr: Manager;
let baseFinishedAt: Date;
let baseId: string;
const marks: Record<string, { at: string; lsn: string; xid: string }> = {};

async function rowsAt(connect: (db: string) => Database): Promise<number[]> {
  const db = connect('postgres');
  try {
    const r = await db.query<{ id: number }>('SELECT id FROM marks ORDER BY id');
    return r.rows.map((x: { id: number }) => x.id);
  } finally {
    await db.close();
  }
}

async function insert(id: number, db: Database = c.db): Promise<{ at: string; lsn: string; xid: string }> {
  const x = await db.query<{ xid: string }>('INSERT INTO marks VALUES ($1) RETURNING txid_current()::text AS xid', [
    id,
  ]);
  // The insert position, not pg_current_wal_lsn() (the write position): the test clusters run with
  // synchronous_commit off, so the commit record may not be written yet when the insert returns.
  // The moment is rounded UP to the millisecond: a JavaScript Date keeps milliseconds only, and the floor of a
  // microsecond clock can fall before the commit just made (same millisecond), which then restores without
  // this row (seen once in CI: mark 5 at .461xxx, target .461). The pause keeps later commits after it.
  const r = await db.query<{ at: Date; lsn: string }>(
    `SELECT date_trunc('milliseconds', clock_timestamp()) + interval '1 millisecond' AS at,
            pg_current_wal_insert_lsn()::text AS lsn`,
  );
  await pause(3);
  return { at: new Date(r.rows[0]!.at).toISOString(), lsn: r.rows[0]!.lsn, xid: x.rows[0]!.xid };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The WAL file holding the byte just before `lsn` (pg_walfile_name: a boundary LSN names the earlier file). */
async function walFileOf(lsn: string): Promise<string> {
  const r = await c.db.query<{ name: string }>('SELECT pg_walfile_name($1::pg_lsn) AS name', [lsn]);
  return r.rows[0]!.name;
}

/** The segment after `name` on its timeline (16 MB segments: 256 per log id). */
function nextSegment(name: string): string {
  const n = BigInt(`0x${name.slice(8, 16)}`) * 256n + BigInt(`0x${name.slice(16, 24)}`) + 1n;
  const hex = (v: bigint) => v.toString(16).toUpperCase().padStart(8, '0');
  return `${name.slice(0, 8)}${hex(n / 256n)}${hex(n % 256n)}`;
}

beforeAll(async () => {
  // No autovacuum: its commits would land between the marked writes and move the commit that confirms a
  // time target (the missing-segment case depends on which segment holds that commit).
  c = await startWalCluster({ settings: { autovacuum: 'off' } });
  await c.db.query('CREATE TABLE marks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
  mgr = new DatabaseBackupManager(c.db, {
    storage: new LocalStorage({ path: c.storePath }),
    encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    backupType: 'physical',
    scryptLogN: 15,
  });
  const base = await mgr.createBackup('postgres');
  baseFinishedAt = new Date(base.manifest.finishedAt);
  baseId = base.backupId;
  await pause(1100);
  marks['1'] = await insert(1);
  await pause(1100);
  marks['2'] = await insert(2);
  await mgr.createRestorePoint('after-two');
  marks['3'] = await insert(3);
  await pause(1100);
  marks['4'] = await insert(4);
  await c.waitArchived(await c.switchWal());
}, 300_000);
afterAll(async () => {
  await mgr?.close();
  await c?.done();
});

async function restoreTo(
  target: NonNullable<Parameters<Manager['restoreBackup']>[1]>['recoveryTarget'],
  backupId = 'latest',
) {
  const dir = await mkdtemp(join(c.dir, 'pitr-'));
  // The restored server runs as the postgres OS user: it must reach the directory.
  await chmod(dir, 0o755);
  let rows: number[] = [];
  const r = await mgr.restoreBackup(backupId, {
    targetDirectory: join(dir, 'data'),
    recoveryTarget: target,
    start: true,
    atTarget: async (connect) => {
      rows = await rowsAt(connect);
    },
  });
  return { r, rows, dir: join(dir, 'data') };
}

describe('point-in-time restore from archive_command-archived WAL (PostgreSQL 15)', { timeout: 600_000 }, () => {
  it('to a moment between two writes: exactly the rows written before it, promoted on a new timeline', async () => {
    const { r, rows, dir } = await restoreTo({ time: marks['1']!.at });
    expect(rows).toEqual([1]);
    expect(r.pointInTime?.reached).toMatchObject({ promoted: true, timeline: 2 });
    expect(new Date(r.pointInTime!.reached!.time!).getTime()).toBeLessThanOrEqual(new Date(marks['1']!.at).getTime());
    expect(r.pointInTime!.walFilesFetched).toBeGreaterThan(0);
    // The directory is left as a promoted cluster: no recovery.signal, the restore_command for the operator kept.
    expect(await readdir(dir)).not.toContain('recovery.signal');
  });

  it('to a named restore point, to an LSN and to a transaction id', async () => {
    const named = await restoreTo({ name: 'after-two' });
    expect(named.rows).toEqual([1, 2]);
    const atLsn = await restoreTo({ lsn: marks['3']!.lsn });
    expect(atLsn.rows).toEqual([1, 2, 3]);
    expect((await mgr.listRestorePoints()).map((p) => p.name)).toEqual(['after-two']);
    // Inclusive (the default): recovery stops just after the commit of that transaction.
    const atXid = await restoreTo({ xid: marks['2']!.xid });
    expect(atXid.rows).toEqual([1, 2]);
  });

  it('bad input: target before the first base backup or after the archive (the window in the message), a non-empty directory, an unknown restore point, a bad LSN', async () => {
    const dir = await mkdtemp(join(c.dir, 'bad-'));
    const before = new Date(baseFinishedAt.getTime() - 60_000);
    const early = await mgr
      .restoreBackup('latest', { targetDirectory: join(dir, 'a'), recoveryTarget: { time: before } })
      .catch((e) => e);
    expect(early).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(early.message).toMatch(/before the earliest recoverable moment: the recovery window is \S+ to \S+/);
    const late = await mgr
      .restoreBackup('latest', {
        targetDirectory: join(dir, 'b'),
        recoveryTarget: { time: new Date(Date.now() + 3600_000) },
      })
      .catch((e) => e);
    expect(late).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(late.message).toMatch(/after the newest archived WAL: the recovery window is/);
    await mkdir(join(dir, 'full'));
    await writeFile(join(dir, 'full', 'PG_VERSION'), '15\n');
    await expect(
      mgr.restoreBackup('latest', { targetDirectory: join(dir, 'full'), recoveryTarget: 'immediate' }),
    ).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    const unknown = await mgr
      .restoreBackup('latest', { targetDirectory: join(dir, 'c'), recoveryTarget: { name: 'no-such-point' } })
      .catch((e) => e);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND' });
    expect(unknown.message).toMatch(/no restore point named "no-such-point"/);
    expect(unknown.hint).toMatch(/after-two/);
    await expect(
      mgr.restoreBackup('latest', { targetDirectory: join(dir, 'd'), recoveryTarget: { lsn: 'yesterday' } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a missing segment in the middle: wal verify reports the gap, and a restore past it fails clearly', async () => {
    const ok = await mgr.verifyWal();
    expect(ok.gaps).toEqual([]);
    expect(ok.ok).toBe(true);
    // A fixed layout, so the outcome depends on no switch landing by chance (autovacuum is off: only this
    // session commits). Segment B holds mark 5 and ends right after it; the target is mark 5's moment, so the
    // commit that confirms it is mark 6, the first record of the next segment C, and C is the one removed
    // (segment D, archived after it, makes it a gap rather than the archive's end).
    await c.switchWal();
    marks['5'] = await insert(5);
    const b = await c.switchWal();
    // B is archived before mark 6 is written: the window (which ends at B's archive time) ends before mark 6.
    await c.waitArchived(b);
    marks['6'] = await insert(6);
    const hole = await walFileOf(marks['6']!.lsn);
    expect(hole).toBe(nextSegment(b));
    expect(await walFileOf(marks['5']!.lsn)).toBe(b);
    // C ends, and one more segment D is archived after it: the removed C is a gap, not the archive's end.
    expect(await c.switchWal()).toBe(hole);
    await c.waitArchived(await c.switchWal());
    const stored = join(c.storePath, 'wal', hole);
    await rename(stored, `${stored}.moved`);
    try {
      const v = await mgr.verifyWal();
      expect(v.ok).toBe(false);
      expect(v.gaps).toEqual([{ timeline: 1, from: hole, to: hole, missing: 1 }]);
      const window = await mgr.getRecoveryWindow();
      expect(window.gaps.map((g) => g.from)).toEqual([hole]);
      // The window ends before the gap: a target after it is refused up front, with the gap named...
      const refused = await mgr
        .restoreBackup('latest', { targetDirectory: join(c.dir, 'gap-a'), recoveryTarget: { time: marks['6']!.at } })
        .catch((e) => e);
      expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(refused.hint).toMatch(new RegExp(`WAL is missing from ${hole}`));
      // ...and a target inside the window whose end (the next commit, mark 6) lies in the missing segment:
      // recovery runs, cannot confirm the target, and the restore fails with PostgreSQL's reason, never a
      // silent success.
      const stopped = await restoreTo({ time: marks['5']!.at }).catch((e) => e);
      expect(stopped).toMatchObject({ code: 'RESTORE_FAILED' });
      expect(stopped.message).toMatch(/recovery ended before configured recovery target was reached/);
    } finally {
      await rename(`${stored}.moved`, stored);
    }
    // The control: with the segment back, the same target restores exactly the rows up to mark 5.
    const whole = await restoreTo({ time: marks['5']!.at });
    expect(whole.rows).toEqual([1, 2, 3, 4, 5]);
  });

  it('a wrong key on wal fetch fails the restore with DECRYPTION_FAILED', async () => {
    // Backups under another key (readable by this manager), WAL under the archive_command's key (not).
    await using other = new DatabaseBackupManager(c.db, {
      storage: new LocalStorage({ path: c.storePath }),
      encryptionKey: 'a different passphrase',
      backupType: 'physical',
    });
    const base = await other.createBackup('postgres');
    await c.waitArchived(await c.switchWal());
    const err = await other
      .restoreBackup(base.backupId, {
        targetDirectory: join(c.dir, 'wrong-key-data'),
        recoveryTarget: 'immediate',
        start: true,
      })
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'DECRYPTION_FAILED' });
  });

  it('a timeline switch: a failover replica promoted in between, restore follows the latest timeline', async () => {
    // The replica replays everything archived so far from the archive, then is promoted (timeline 2).
    const last = await c.switchWal();
    await c.waitArchived(last);
    const standby = await startArchiveStandby(c);
    try {
      const seen = marks['6']!.lsn;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const r = await standby.db.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [
          seen,
        ]);
        if (r.rows[0]!.done) break;
        if (Date.now() > deadline) throw new Error(`the standby did not replay to ${seen}`);
        await pause(300);
      }
      const timeline = await standby.promote();
      expect(timeline).toBe(2);
      marks['20'] = await insert(20, standby.db);
      // A time target is confirmed by the first commit after it: without one recovery ends short of it (FATAL).
      await pause(200);
      marks['21'] = await insert(21, standby.db);
      // The old primary keeps writing on timeline 1 after the fork: restore must not follow it.
      marks['7'] = await insert(7);
      await c.waitArchived(await c.switchWal());
      await standby.db.query('SELECT pg_logical_emit_message(false, $1, $2)', ['dbrs-test', 'tl2']);
      const tl2 = await standby.db.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name');
      const seg = tl2.rows[0]!.name;
      expect(seg.slice(0, 8)).toBe('00000002');
      const until = Date.now() + 120_000;
      while (!(await readdir(join(c.storePath, 'wal'))).includes(seg)) {
        if (Date.now() > until) throw new Error(`${seg} was not archived by the promoted standby`);
        await pause(300);
      }
      expect(await readdir(join(c.storePath, 'wal'))).toContain('00000002.history');
      // From the first base backup (the newest one, from the wrong-key case, is under a key this manager lacks).
      const { r, rows } = await restoreTo({ time: marks['20']!.at }, baseId);
      expect(rows).toEqual([1, 2, 3, 4, 5, 6, 20]);
      // Promoted again at the target: the next free timeline after 2.
      expect(r.pointInTime?.reached).toMatchObject({ promoted: true, timeline: 3 });
    } finally {
      await standby.stop();
    }
  });
});
