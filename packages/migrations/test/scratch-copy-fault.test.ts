// `pg_dump | psql` into the scratch database: when psql stops at its first error (ON_ERROR_STOP), the copy
// must fail with psql's error and leave no pg_dump behind. Real pg_dump and a real database; psql is replaced by a
// script that fails after reading a little (a fault a real psql cannot be asked for on demand).
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../src/rehearsal/scratch-database.js';
import { type Fixture, fixture } from './helpers.js';

describe('scratch copy: psql fails mid-stream', () => {
  let fx: Fixture;
  let bin: string;
  beforeAll(async () => {
    fx = await fixture();
    // Far more than a pipe holds, so pg_dump is still writing when psql gives up.
    await fx.db.query('CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 200000) g');
    bin = await mkdtemp(join(tmpdir(), 'dbrs-fakepsql-'));
    await symlink(execFileSync('which', ['pg_dump']).toString().trim(), join(bin, 'pg_dump'));
    await writeFile(
      join(bin, 'psql'),
      '#!/bin/sh\nhead -c 4096 >/dev/null\necho "ERROR:  injected failure" >&2\nexit 3\n',
    );
    await chmod(join(bin, 'psql'), 0o755);
  }, 120_000);
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
    await fx?.cleanup();
  });

  it("fails with psql's error, drops the scratch database and leaves no pg_dump running", async () => {
    const outcome = await Promise.race([
      createScratchDatabase(fx.db, { data: 'full', binDir: bin }).then(
        () => 'succeeded',
        (err) => err,
      ),
      sleep(60_000).then(() => 'still copying after 60 s'),
    ]);
    expect(outcome).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringContaining('injected failure') });
    const scratch = await fx.db.query("SELECT datname FROM pg_database WHERE datname LIKE 'dbrs_scratch_%'");
    expect(scratch.rows.filter((r) => String(r.datname).startsWith(`dbrs_scratch_${process.pid}_`))).toEqual([]);
    // The server ends a killed client's session when its next write fails: wait for that, bounded.
    let sessions: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      sessions = (
        await fx.db.query(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'voicehive-dbrs-migrate' AND datname = current_database()",
        )
      ).rows;
      if (sessions.length === 0) break;
      await sleep(100);
    }
    expect(sessions).toEqual([]);
  }, 120_000);
});
