import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../packages/suite/test/support/run-cli.js';
import { scratchDir } from '../../packages/suite/test/support/suite-helpers.js';

// Issue #11 item 4: a feature that failed to initialise made requireFeature() throw before the suite was shut
// down, so the open pool kept the CLI alive after it had printed the error. Each command here must exit by
// itself, with the documented code (1: failure), well inside the bound; runCli kills it at the bound (code null).
// backup and capacity open their feature through the same openFeature() and so share the fix.
const BOUND_MS = 45_000;

describe('CLI commands whose feature fails to start exit on their own', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-fault-init-');
  const noDown = join(work.path, 'migrations-no-down');

  beforeAll(() => {
    mkdirSync(noDown);
    writeFileSync(join(noDown, '0001_t.sql'), '-- migrate:up\nCREATE TABLE t (id int);\n');
  });
  afterAll(() => work.remove());

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, {
      env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env },
      cwd: work.path,
      timeoutMs: BOUND_MS,
    });

  it.each([
    ['migrate', 'status'],
    ['migrate', 'up'],
    ['migrate', 'lint'],
  ])(
    'dbrs %s %s with a migration that has no down section: exit 1, the cause, and a hint that fits',
    async (...args) => {
      const r = await cli([...args, '--dir', noDown]);
      expect(r.code, `killed at the bound? stderr: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/migrations is failed: .*0001_t\.sql/);
      // The directory was set; telling the user to set it sends them the wrong way.
      expect(r.stderr).not.toMatch(/pass --dir or set MIGRATIONS_DIR/);
    },
  );
});
