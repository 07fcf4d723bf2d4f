import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedPostgresAvailable, requireComponent } from '../src/index.js';
import { embeddedNativeDir, serviceUserBinaries } from '../src/postgres/embedded-relocate.js';
import { startLocalCluster } from '../src/postgres/local-cluster.js';

// Issue #11: a checkout in a folder the postgres OS user cannot enter (a clone under root's 0700 home) made
// the embedded PostgreSQL 16/17/18 fail with `spawn …/initdb EACCES`. Reproduced here by putting a copy of
// the PG17 platform package under a 0700 directory: the harness must notice and run a readable copy.
const asRoot = process.getuid?.() === 0;
const pg17 = requireComponent('postgres17', await embeddedPostgresAvailable(17));

describe('embedded binaries the postgres OS user cannot reach', () => {
  const hidden = mkdtempSync(join(tmpdir(), 'dbrs-private-home-'));
  const cache = mkdtempSync(join(tmpdir(), 'dbrs-embedded-cache-'));
  afterAll(() => {
    rmSync(hidden, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  it.skipIf(!pg17 || !requireComponent('root (the postgres OS user exists only to drop privileges from root)', asRoot))(
    'are copied once to a readable cache and a PostgreSQL 17 cluster starts from there',
    async () => {
      const pkg = join(hidden, 'node_modules', 'linux-x64');
      cpSync(dirname(embeddedNativeDir(17)), pkg, { recursive: true, verbatimSymlinks: true });
      chmodSync(hidden, 0o700);
      const nativeDir = join(pkg, 'native');
      // The reproduction: the postgres user cannot run initdb where it is.
      expect(() =>
        execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -x ${join(nativeDir, 'bin', 'initdb')}`]),
      ).toThrow();

      const binaries = await serviceUserBinaries(nativeDir, 17, cache);
      expect(binaries?.binDir.startsWith(cache)).toBe(true);
      expect(binaries?.major).toBe(17);
      // A second call reuses the copy.
      expect(await serviceUserBinaries(nativeDir, 17, cache)).toEqual(binaries);

      const server = await startLocalCluster({ binaries: binaries! });
      try {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        try {
          const res = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
          expect(Number(res.rows[0]!.v)).toBeGreaterThanOrEqual(170000);
        } finally {
          await client.end();
        }
      } finally {
        await server.stop();
      }
    },
  );

  it.skipIf(!pg17)('are used where they are when the postgres user can reach them', async () => {
    expect(await serviceUserBinaries(embeddedNativeDir(17), 17, cache)).toBeUndefined();
  });
});
