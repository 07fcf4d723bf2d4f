// `dbrs wal push` against Azure (azurite) that stops answering: the push fails with STORAGE_FAILED and a
// non-zero exit, which PostgreSQL's archiver retries. Real azurite, real segment, the CLI as a child.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AzuriteEmulator, startAzurite } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { startWalCluster, type WalCluster } from './support/wal-cluster.js';

let dir: string;
let c: WalCluster;
let azure: AzuriteEmulator | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbrs-walpush-azure-'));
  azure = await startAzurite({ container: 'wal' });
  env = {
    BACKUP_STORAGE_TYPE: 'azure',
    BACKUP_AZURE_CONTAINER: 'wal',
    BACKUP_AZURE_CONNECTION_STRING: azure.connectionString,
    BACKUP_ENCRYPTION_KEY: 'wal push azurite-down passphrase',
    NODE_OPTIONS: '',
  };
  // archive_mode on, archive_command a no-op: this test pushes by hand.
  c = await startWalCluster({ settings: { archive_command: '/bin/true' } });
}, 180_000);
afterAll(async () => {
  await c?.done();
  await azure?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dbrs wal push while azurite is stopped (real PostgreSQL 15)', { timeout: 300_000 }, () => {
  it('pushes while azurite runs; once it stops: STORAGE_FAILED, non-zero exit, no secret in the output', async () => {
    const first = await c.switchWal();
    const firstCopy = join(dir, first);
    await copyFile(join(c.server.dataDir!, 'pg_wal', first), firstCopy);
    const ok = await runCli(['wal', 'push', firstCopy, '--key-cache', 'off'], { env, timeoutMs: 120_000 });
    expect(ok.code, ok.stderr).toBe(0);
    // Idempotent: the identical segment again succeeds.
    const again = await runCli(['wal', 'push', firstCopy, '--key-cache', 'off'], { env, timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);

    await azure!.stop();
    const seg = await c.switchWal();
    const copy = join(dir, seg);
    await copyFile(join(c.server.dataDir!, 'pg_wal', seg), copy);
    const down = await runCli(['wal', 'push', copy, '--key-cache', 'off'], { env, timeoutMs: 240_000 });
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/STORAGE_FAILED/);
    expect(down.stderr).not.toContain(azure!.accountKey);
    expect(down.stderr).not.toContain('azurite-down passphrase');
  });
});
