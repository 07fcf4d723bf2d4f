// Fault suite (issue #11): SIGKILL of the `dbrs` CLI mid-backup and mid-restore,
// followed by cleanup (item 5: the killed put's `.dbrs-tmp-*` file is found and
// removed once past the grace period); verify with a wrong key and a backup onto
// a full disk exit with their code instead of hanging (items 2 and 3).
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireComponent } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../../../suite/test/support/run-cli.js';
import { DatabaseBackupManager } from '../../src/index.js';
import { LocalStorage } from '../../src/storage/local.js';
import { type FaultFixture, faultFixture } from './fixture.js';
import { backupSessions, descendants, eventually, exists } from './leaks.js';

const PASS = 'cli-kill-passphrase-0123456789';
let fx: FaultFixture;
let store: string;

beforeAll(async () => {
  fx = await faultFixture({ noiseRows: 400_000 });
  store = join(fx.dir, 'store');
}, 600_000);
afterAll(async () => {
  await fx?.done();
});

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: fx.url,
  BACKUP_LOCAL_PATH: store,
  BACKUP_ENCRYPTION_KEY: PASS,
  BACKUP_COMPRESSION: 'none',
  LOG_LEVEL: 'silent',
  ...extra,
});

async function filesUnder(dir: string): Promise<Array<{ path: string; size: number }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const out = [];
  for (const e of entries.filter((x) => x.isFile())) {
    const path = join(e.parentPath, e.name);
    const info = await stat(path).catch(() => undefined);
    if (info) out.push({ path, size: info.size });
  }
  return out;
}

/** Waits (bounded) until `ready` holds while the child runs, then SIGKILLs it; returns the tools it had started. */
async function killWhen(
  child: ChildProcess,
  names: string[],
  ready: () => Promise<boolean>,
): Promise<Map<number, string>> {
  const tools = new Map<number, string>();
  const ok = await eventually(async () => {
    for (const p of descendants(child.pid)) if (names.includes(p.comm)) tools.set(p.pid, p.comm);
    // The tools must be running too: the restore's own session is active on the target before pg_restore
    // starts (its emptiness check), and a kill then would test nothing (seen once in CI).
    const started = names.every((n) => [...tools.values()].includes(n));
    return child.exitCode === null && started && (await ready());
  }, 180_000);
  expect(ok, 'the CLI reached the point to kill it at').toBe(true);
  const exited = new Promise((r) => child.once('close', r));
  child.kill('SIGKILL');
  await exited;
  return tools;
}

describe('SIGKILL of the dbrs CLI', { timeout: 600_000 }, () => {
  it('mid-backup: tools and sessions end, nothing is listed, cleanup removes the .dbrs-tmp file after the grace period', async () => {
    const child = spawnCli(['backup', 'create', '--json'], { env: env(), cwd: fx.dir });
    const tools = await killWhen(child, ['pg_dump'], async () =>
      (await filesUnder(store)).some((f) => f.path.includes('.dbrs-tmp-') && f.size > 1_000_000),
    );
    expect([...tools.values()]).toContain('pg_dump');
    // The orphans die on their broken pipe and are reaped by init: bounded, not instant.
    expect(await eventually(() => [...tools.keys()].every((pid) => !exists(pid)), 60_000)).toBe(true);
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0, 60_000)).toBe(true);

    const left = await filesUnder(store);
    expect(left.some((f) => f.path.includes('.dbrs-tmp-'))).toBe(true);
    await using mgr = new DatabaseBackupManager(fx.url, {
      storage: new LocalStorage({ path: store }),
      encryptionKey: PASS,
    });
    expect(await mgr.listBackups()).toEqual([]);
    // Within the grace period the temp file may be a running backup's: kept.
    const early = await mgr.cleanupOldBackups();
    expect(early.abandonedRemoved).toEqual([]);
    expect((await filesUnder(store)).length).toBe(left.length);
    // Past it: found and removed, with the folder it was in.
    const later = await mgr.cleanupOldBackups({ now: new Date(Date.now() + 2 * 86_400_000) });
    expect(later.abandonedRemoved.map((a) => a.key).some((k) => k.includes('.dbrs-tmp-'))).toBe(true);
    expect(later.freedBytes).toBeGreaterThan(1_000_000);
    expect(await filesUnder(store)).toEqual([]);
    expect(await readdir(store)).toEqual([]);
  });

  it('mid-restore: pg_restore and its session end, the backup stays listed and verifiable', async () => {
    await using mgr = new DatabaseBackupManager(fx.url, {
      storage: new LocalStorage({ path: store }),
      encryptionKey: PASS,
    });
    const { backupId } = await mgr.createBackup();
    const target = `${fx.dbName}_killed_restore`;
    const child = spawnCli(['backup', 'restore', backupId, '--target-database', target], { env: env(), cwd: fx.dir });
    const tools = await killWhen(child, ['pg_restore'], async () => {
      const res = await fx.observer.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'voicehive-dbrs-backup' AND datname = $1 AND state = 'active'",
        [target],
      );
      return res.rows.length > 0;
    });
    expect([...tools.values()]).toContain('pg_restore');
    expect(await eventually(() => [...tools.keys()].every((pid) => !exists(pid)), 60_000)).toBe(true);
    expect(await eventually(async () => (await backupSessions(fx.observer)).length === 0, 60_000)).toBe(true);
    expect((await mgr.listBackups()).map((b) => b.backupId)).toContain(backupId);
    expect((await mgr.verifyBackup(backupId, { level: 2 })).ok).toBe(true);
    // A killed process cannot drop what it created: the half-restored target is refused, not silently reused.
    await expect(mgr.restoreBackup(backupId, { targetDatabase: target })).rejects.toMatchObject({
      code: 'TARGET_NOT_EMPTY',
    });
    await fx.observer.query(`DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`);
  });
});

describe('dbrs exits with its code instead of hanging', { timeout: 600_000 }, () => {
  it('backup verify --level 2 with a wrong key: exit 1, DECRYPTION_FAILED, no pg_restore left', async () => {
    await using mgr = new DatabaseBackupManager(fx.url, {
      storage: new LocalStorage({ path: store }),
      encryptionKey: PASS,
    });
    const { backupId } = await mgr.createBackup(undefined, { tables: ['noise'] });
    const before = (await mgr.listBackups()).find((b) => b.backupId === backupId)?.manifest.verification;
    const r = await runCli(['backup', 'verify', backupId, '--level', '2', '--json'], {
      env: env({ BACKUP_ENCRYPTION_KEY: 'a-wrong-passphrase-0123456789' }),
      cwd: fx.dir,
      timeoutMs: 180_000,
    });
    // runCli SIGKILLs at its bound: a hang shows as code null.
    expect(r.code, r.stderr).toBe(1);
    expect(r.json()).toMatchObject({ ok: false, inconclusive: true, error: { code: 'DECRYPTION_FAILED' } });
    expect(descendants().filter((p) => p.comm === 'pg_restore')).toEqual([]);
    expect((await mgr.listBackups()).find((b) => b.backupId === backupId)?.manifest.verification).toEqual(before);
  });

  const canMount = requireComponent('tmpfs', process.getuid?.() === 0, 'mounting a tmpfs needs root');
  it.skipIf(!canMount)(
    'backup create onto a full 2 MiB tmpfs (zstd program): exit 1 with STORAGE_FAILED, no tool left',
    async () => {
      const mnt = await mkdtemp(join(tmpdir(), 'vhbk-clifull-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
      try {
        await mkdir(join(mnt, 'store'));
        const child = spawnCli(['backup', 'create', '--json'], {
          env: env({ BACKUP_LOCAL_PATH: join(mnt, 'store'), BACKUP_COMPRESSION: 'zstd' }),
          cwd: fx.dir,
        });
        let stderr = '';
        child.stderr!.on('data', (d) => (stderr += d));
        const tools = new Map<number, string>();
        const timer = setInterval(() => {
          for (const p of descendants(child.pid)) if (['pg_dump', 'zstd'].includes(p.comm)) tools.set(p.pid, p.comm);
        }, 20);
        const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
        const code = await new Promise<number | null>((r) => child.once('close', r));
        clearInterval(timer);
        clearTimeout(killer);
        expect(code, stderr).toBe(1);
        expect(stderr).toContain('STORAGE_FAILED');
        expect([...tools.values()]).toEqual(expect.arrayContaining(['pg_dump']));
        expect([...tools.keys()].filter((pid) => exists(pid))).toEqual([]);
        expect(await filesUnder(join(mnt, 'store'))).toEqual([]);
      } finally {
        execFileSync('umount', ['-l', mnt]);
        await rm(mnt, { recursive: true, force: true });
      }
    },
  );
});
