import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

let server: PostgresServer;
let dir: string;
let config: string;

beforeAll(async () => {
  server = await startPostgres({ source: 'local' });
  dir = await mkdtemp(join(tmpdir(), 'dbrs-incr-cli-'));
  config = join(dir, 'dbrs.yaml');
  await writeFile(
    config,
    [
      'backup:',
      '  enabled: true',
      '  backupType: physical',
      '  storageType: local',
      `  localPath: ${join(dir, 'store')}`,
      '',
    ].join('\n'),
  );
}, 180_000);
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('dbrs backup create --incremental (real PostgreSQL 15)', { timeout: 180_000 }, () => {
  it('exits non-zero with UNSUPPORTED, says incrementals need 17 and to take a full physical backup, stores nothing', async () => {
    expect(server.version.major).toBeLessThan(17);
    const env = { DATABASE_URL: server.url };
    const r = await runCli(['backup', 'create', '--incremental', '--config', config], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/UNSUPPORTED/);
    expect(r.stderr).toMatch(/Incremental backups need PostgreSQL 17 or newer/);
    expect(r.stderr).toMatch(/full physical backup/);
    const stored = await readdir(join(dir, 'store'), { recursive: true, withFileTypes: true }).catch(() => []);
    expect(stored.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
  });
});
