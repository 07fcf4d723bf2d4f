import { chmod, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStorage, lockHolder, parseWalName, processAlive, WORKER_LOCK } from '@voicehive/db-backup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { sq, startWalCluster, type WalCluster } from './support/wal-cluster.js';

const PASSPHRASE = 'async archive e2e passphrase';
// A --url on archive_command (wal push does not connect; the worker must still not show its password in ps).
const URL_PASSWORD = 'urlpw-e2e-secret';
const URL = `postgres://archiver:${URL_PASSWORD}@127.0.0.1:1/none`;
let c: WalCluster;
let spool: string;
let spoolParent: string;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const liveWorker = () =>
  until('a live worker', async () => {
    const pid = await lockHolder(spool);
    return pid !== undefined && processAlive(pid) ? pid : undefined;
  });

/** Every file of the spool (status files, lock, worker.log) as one text. */
async function spoolText(): Promise<string> {
  const files = await readdir(spool).catch(() => [] as string[]);
  return (await Promise.all(files.map((f) => readFile(join(spool, f), 'utf8').catch(() => '')))).join('\n');
}

async function failedCount(): Promise<{ failed: number; lastFailed: string | null }> {
  const r = await c.db.query<{ failed: string; last_failed: string | null }>(
    'SELECT failed_count::text AS failed, last_failed_wal AS last_failed FROM pg_stat_archiver',
  );
  return { failed: Number(r.rows[0]!.failed), lastFailed: r.rows[0]!.last_failed };
}

/** The archived `seg` fetched back through the CLI equals PostgreSQL's file, byte for byte. */
async function expectArchivedIntact(seg: string): Promise<void> {
  const dest = join(c.dir, `${seg}.fetched`);
  const r = await runCli(['wal', 'fetch', seg, dest, '--prefetch', '0'], { env: c.env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  expect((await readFile(dest)).equals(await readFile(join(c.server.dataDir!, 'pg_wal', seg)))).toBe(true);
  await rm(dest, { force: true });
}

beforeAll(async () => {
  c = await startWalCluster({ key: PASSPHRASE });
  spoolParent = await mkdtemp(join(tmpdir(), 'dbrs-walasync-'));
  await chmod(spoolParent, 0o777);
  spool = join(spoolParent, 'spool');
  // Every setting from the environment, as a configuration would give them: the CLI must apply each.
  const words = Object.entries({
    BACKUP_WAL_PUSH_ASYNC: 'true',
    BACKUP_WAL_SPOOL_PATH: spool,
    BACKUP_WAL_PUSH_JOBS: '3',
    BACKUP_WAL_PUSH_TIMEOUT: '20',
  })
    .map(([k, v]) => `${k}=${sq(v)}`)
    .join(' ');
  const command = `${words} ${c.command} wal push "%p" --url ${sq(URL)}`;
  await c.db.query(`ALTER SYSTEM SET archive_command = '${command.replaceAll("'", "''")}'`);
  await c.db.query('SELECT pg_reload_conf()');
}, 180_000);
afterAll(async () => {
  const pid = await lockHolder(spool).catch(() => undefined);
  await c?.done();
  if (pid !== undefined && processAlive(pid)) process.kill(pid, 'SIGTERM');
  if (spoolParent) await rm(spoolParent, { recursive: true, force: true });
});

describe('dbrs wal push with backup.walPushAsync as archive_command (real PostgreSQL 15)', { timeout: 300_000 }, () => {
  it('one background worker, started with the configured spool and jobs, archives every segment; it idles out and leaves nothing running', async () => {
    const first = await c.switchWal();
    const pid = await liveWorker();
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(argv).toContain('push-worker');
    expect(argv.slice(argv.indexOf('--jobs'), argv.indexOf('--jobs') + 2)).toEqual(['--jobs', '3']);
    expect(argv.slice(argv.indexOf('--spool-dir'), argv.indexOf('--spool-dir') + 2)).toEqual(['--spool-dir', spool]);
    // The key travels in the environment, never on the command line (ps shows it to every user).
    expect(argv.join(' ')).not.toContain(PASSPHRASE);
    // Nor the database URL's password: the URL reaches the worker through its environment.
    expect(argv.join(' ')).not.toContain(URL_PASSWORD);
    expect((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0')).toContain(`DATABASE_URL=${URL}`);
    let last = first;
    for (let i = 0; i < 4; i++) last = await c.switchWal();
    await c.waitArchived(last);
    // One worker served them all (keys derived once): worker.log has one start, by that process.
    const started = () =>
      readFile(join(spool, 'worker.log'), 'utf8').then((t) =>
        t.split('\n').filter((l) => l.includes('"wal_push_worker_started"')),
      );
    expect(await started()).toEqual([expect.stringContaining(`"pid":${pid},`)]);
    expect((await failedCount()).failed).toBe(0);
    await expectArchivedIntact(last);
    expect(await spoolText()).not.toContain(PASSPHRASE);
    // Nothing to do for 10 s: the worker exits and releases its lock.
    await until('the worker to idle out', async () => (processAlive(pid) ? undefined : true), 90_000);
    expect(await readdir(spool)).not.toContain(WORKER_LOCK);
    const log = await readFile(join(spool, 'worker.log'), 'utf8');
    const stopped = /"wal_push_worker_stopped".*"pushed":(\d+),"failed":(\d+)/.exec(log);
    expect(Number(stopped?.[1])).toBeGreaterThanOrEqual(5);
    expect(Number(stopped?.[2])).toBe(0);
  });

  it('storage down: the worker writes .error, the command exits non-zero, PostgreSQL retries, and the segment lands once storage is back', async () => {
    const walStore = join(c.storePath, 'wal');
    await rename(walStore, `${walStore}.away`);
    // A file where the archive's folder was: every read and write of the storage fails.
    await writeFile(walStore, 'storage is down');
    const seg = await c.switchWal();
    await until('failed archive attempts', async () => {
      const f = await failedCount();
      return f.failed >= 2 && f.lastFailed === seg ? f : undefined;
    });
    // What the operator sees in the spool: the storage's error, never the key.
    expect(await readFile(join(spool, 'worker.log'), 'utf8')).toMatch(/wal_async_push_failed/);
    expect(await spoolText()).not.toContain(PASSPHRASE);
    await rm(walStore);
    await rename(`${walStore}.away`, walStore);
    // A new segment wakes the archiver from its pause after three failures (otherwise up to 60 s).
    await c.switchWal();
    await c.waitArchived(seg);
    await expectArchivedIntact(seg);
  });

  it('the worker SIGKILLed mid-push: a new worker finishes the job, every archived object is whole, no .ok without its object', async () => {
    const before = await c.switchWal();
    await c.waitArchived(before);
    // Segments full of table data (a push takes a while), then the worker is killed while it writes one: as soon
    // as the local storage shows a temporary object (`.dbrs-tmp-…`), or, failing that, while it holds the lock.
    const segs: string[] = [];
    for (let i = 0; i < 3; i++) {
      await c.db.query(
        'CREATE TABLE IF NOT EXISTS kill_fill (v text); INSERT INTO kill_fill SELECT md5(g::text) || md5((g * 3)::text) FROM generate_series(1, 120000) g',
      );
      segs.push(await c.switchWal());
    }
    const killed = await liveWorker();
    const writing = await until(
      'a push being written',
      async () =>
        (await readdir(join(c.storePath, 'wal'))).some((f) => f.startsWith('.dbrs-tmp-')) ? true : undefined,
      30_000,
    ).catch(() => false);
    process.kill(killed, 'SIGKILL');
    await until('the killed worker to be gone', async () => (processAlive(killed) ? undefined : true));
    await c.waitArchived(segs.at(-1)!);
    // Reported so a run that never caught a write in flight is visible (the assertions below hold either way).
    console.info(`worker killed ${writing ? 'while writing a push' : 'while holding the lock'}`);
    const successor = await lockHolder(spool);
    expect(successor).not.toBe(killed);
    for (const seg of segs) await expectArchivedIntact(seg);
    // Listed objects are whole WAL files (a killed write's temporary file is never one of them).
    const storage = new LocalStorage({ path: c.storePath });
    const keys: string[] = [];
    for await (const o of storage.list('wal/')) keys.push(o.key.slice('wal/'.length));
    await storage.close();
    expect(keys.filter((k) => !k.startsWith('_meta/') && !parseWalName(k))).toEqual([]);
    for (const seg of segs) expect(keys).toContain(seg);
    for (const f of await readdir(spool)) {
      if (f.endsWith('.ok')) expect(keys).toContain(f.slice(0, -3));
    }
  });
});
