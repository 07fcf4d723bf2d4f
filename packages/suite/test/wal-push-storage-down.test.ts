import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_LAUNCH, runCli } from './support/run-cli.js';
import { sq, startWalCluster, type WalCluster } from './support/wal-cluster.js';

type S3rverInstance = {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
};

let dir: string;
let c: WalCluster;
let s3: S3rverInstance;
let port: number;
let env: Record<string, string>;
const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => S3rverInstance;
// Stopped and started again on the same port and directory: the storage comes back with what it held.
const makeS3 = (p: number) =>
  new S3rver({
    address: '127.0.0.1',
    port: p,
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: 'wal' }],
  });

/** Every file s3rver keeps whose path mentions `name` (objects, metadata, multipart parts). */
async function storedFiles(name: string): Promise<string[]> {
  const all = await readdir(join(dir, 's3'), { recursive: true }).catch(() => [] as string[]);
  return all.filter((f) => f.includes(name));
}

async function failedCount(): Promise<{ failed: number; lastFailed: string | null }> {
  const r = await c.db.query<{ failed: string; last_failed: string | null }>(
    'SELECT failed_count::text AS failed, last_failed_wal AS last_failed FROM pg_stat_archiver',
  );
  return { failed: Number(r.rows[0]!.failed), lastFailed: r.rows[0]!.last_failed };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbrs-walpush-down-'));
  s3 = makeS3(0);
  ({ port } = await s3.run());
  env = {
    BACKUP_STORAGE_TYPE: 's3',
    BACKUP_S3_BUCKET: 'wal',
    BACKUP_S3_REGION: 'us-east-1',
    BACKUP_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    BACKUP_S3_FORCE_PATH_STYLE: 'true',
    BACKUP_S3_ACCESS_KEY_ID: 'S3RVER',
    BACKUP_S3_SECRET_ACCESS_KEY: 'S3RVER',
    BACKUP_ENCRYPTION_KEY: 'wal push storage-down passphrase',
    NODE_OPTIONS: '',
  };
  const words = Object.entries(env)
    .map(([k, v]) => `${k}=${sq(v)}`)
    .join(' ');
  const command = `${words} ${sq(process.execPath)} ${CLI_LAUNCH.argv.map(sq).join(' ')}`;
  c = await startWalCluster({ settings: { archive_command: `${command} wal push "%p"` } });
}, 180_000);
afterAll(async () => {
  await c?.done();
  s3?.httpServer?.closeAllConnections();
  await s3?.close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dbrs wal push as archive_command while s3rver is stopped (real PostgreSQL 15)', { timeout: 300_000 }, () => {
  it('fails (PostgreSQL retries), stores nothing of the segment, and the segment lands once storage is back', async () => {
    // Archiving works to begin with.
    await c.waitArchived(await c.switchWal());
    expect((await failedCount()).failed).toBe(0);

    s3.httpServer?.closeAllConnections();
    await s3.close();
    const seg = await c.switchWal();
    // PostgreSQL ran the command, saw a non-zero exit and counts failures on this segment (it retries).
    const deadline = Date.now() + 120_000;
    for (;;) {
      const f = await failedCount();
      if (f.failed >= 2 && f.lastFailed === seg) break;
      if (Date.now() > deadline) throw new Error(`no failed archive attempts of ${seg}: ${JSON.stringify(f)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    // The same push by hand: a storage error and a non-zero exit.
    const original = join(dir, seg);
    await copyFile(join(c.server.dataDir!, 'pg_wal', seg), original);
    const byHand = await runCli(['wal', 'push', original, '--key-cache', 'off'], { env, timeoutMs: 120_000 });
    expect(byHand.code).not.toBe(0);
    expect(byHand.stderr).toMatch(/STORAGE_FAILED/);
    // Nothing of it (whole or partial) in the storage's own files.
    expect(await storedFiles(seg)).toEqual([]);

    s3 = makeS3(port);
    await s3.run();
    await c.waitArchived(seg);
    expect((await storedFiles(seg)).length).toBeGreaterThan(0);
    // What landed is the segment PostgreSQL wrote, byte for byte.
    const dest = join(dir, `${seg}.fetched`);
    const fetched = await runCli(['wal', 'fetch', seg, dest, '--prefetch', '0'], { env, timeoutMs: 120_000 });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect((await readFile(dest)).equals(await readFile(original))).toBe(true);
  });
});
