import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openWalArchive } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let c: WalCluster;
beforeAll(async () => {
  c = await startWalCluster();
}, 180_000);
afterAll(async () => {
  await c?.done();
});

async function storedNames(): Promise<string[]> {
  return (await readdir(join(c.storePath, 'wal')).catch(() => [] as string[])).filter((n) => /^[0-9A-F]{24}$/.test(n));
}

describe('archive_command = dbrs wal push %p on a real PostgreSQL 15', { timeout: 300_000 }, () => {
  it('archives every switched segment, encrypted, and dbrs wal fetch gives it back', async () => {
    await c.db.query('CREATE TABLE IF NOT EXISTS marks (id int, at timestamptz DEFAULT now())');
    await c.db.query('INSERT INTO marks SELECT g FROM generate_series(1, 1000) g');
    const a = await c.switchWal();
    const b = await c.switchWal();
    await c.waitArchived(b);
    const names = await storedNames();
    expect(names).toEqual(expect.arrayContaining([a, b]));
    const failed = await c.db.query<{ n: string }>('SELECT failed_count::text AS n FROM pg_stat_archiver');
    expect(failed.rows[0]!.n).toBe('0');
    // Encrypted at rest: the stored bytes do not start with the WAL page magic.
    const raw = await readFile(join(c.storePath, 'wal', a));
    expect(raw.subarray(0, 2).readUInt16LE(0)).not.toBe(0xd110);

    const dest = join(c.dir, 'fetched', a);
    const r = await runCli(['wal', 'fetch', a, dest, '--prefetch', '0'], { env: c.env });
    expect(r.code, r.stderr).toBe(0);
    const bytes = await readFile(dest);
    expect(bytes.length).toBe(16 << 20);
    // The long page header names the segment's own address.
    expect(bytes.readBigUInt64LE(8)).toBe(
      BigInt(`0x${a.slice(8, 16)}`) * (1n << 32n) + BigInt(`0x${a.slice(16)}`) * (16n << 20n),
    );
  });

  it('exit codes restore_command relies on: 1 for a file not archived, 255 for a bad name or a wrong key', async () => {
    const missing = await runCli(['wal', 'fetch', '0000000100000000000000EE', join(c.dir, 'x')], { env: c.env });
    expect(missing.code).toBe(1);
    const bad = await runCli(['wal', 'fetch', '../../etc/passwd', join(c.dir, 'x')], { env: c.env });
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/not a WAL file name/);
    const [first] = await storedNames();
    const wrong = await runCli(['wal', 'fetch', first!, join(c.dir, 'wrong')], {
      env: { ...c.env, BACKUP_ENCRYPTION_KEY: 'not the right passphrase' },
    });
    expect(wrong.code).toBe(255);
    expect(wrong.stderr).toMatch(/DECRYPTION_FAILED/);
    expect(wrong.stderr).not.toMatch(/wal e2e passphrase/);
    await expect(stat(join(c.dir, 'wrong'))).rejects.toThrow();
  });

  it('wal push of a bad name exits non-zero with INVALID_ARGUMENT; pushing an archived segment again succeeds', async () => {
    const bad = await runCli(['wal', 'push', join(c.dir, 'not-a-wal-file')], { env: c.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/INVALID_ARGUMENT.*not a WAL file name/);
    const [first] = await storedNames();
    const tmp = await mkdtemp(join(c.dir, 'again-'));
    const copy = join(tmp, first!);
    const fetched = await runCli(['wal', 'fetch', first!, copy, '--prefetch', '0'], { env: c.env });
    expect(fetched.code).toBe(0);
    const again = await runCli(['wal', 'push', copy, '--json'], { env: c.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ name: first, status: 'already-archived' });
    await rm(tmp, { recursive: true, force: true });
  });

  it('storage unwritable while PostgreSQL archives → the push fails, PostgreSQL retries, the segment lands once it is back', async () => {
    const walDir = join(c.storePath, 'wal');
    // archive_command runs as the postgres OS user, which owns this folder: 0500 makes it read-only for it.
    await chmod(walDir, 0o500);
    const before = Number(
      (await c.db.query<{ n: string }>('SELECT failed_count::text AS n FROM pg_stat_archiver')).rows[0]!.n,
    );
    const seg = await c.switchWal();
    const deadline = Date.now() + 60_000;
    let failed = before;
    while (failed === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      failed = Number(
        (await c.db.query<{ n: string }>('SELECT failed_count::text AS n FROM pg_stat_archiver')).rows[0]!.n,
      );
    }
    expect(failed).toBeGreaterThan(before);
    // Nothing partial: no object and no temp file of the segment is visible.
    expect((await readdir(walDir)).filter((n) => n.includes(seg))).toEqual([]);
    await chmod(walDir, 0o755);
    await c.waitArchived(seg);
    expect(await storedNames()).toContain(seg);
    await using opened = await openWalArchive({
      storageType: 'local',
      localPath: c.storePath,
      encryptionKey: c.env.BACKUP_ENCRYPTION_KEY,
    });
    const listed = await opened.archive.list();
    expect(listed.find((w) => w.name === seg)).toMatchObject({ kind: 'segment', segmentBytes: 16 << 20 });
  });
});
