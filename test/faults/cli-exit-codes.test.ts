import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../packages/suite/test/support/run-cli.js';
import { scratchDir } from '../../packages/suite/test/support/suite-helpers.js';

// Issue #11 item 9: configuration mistakes exit 2 (the README's "usage error"), not 1, and a URL with a bad
// %-escape is a DATABASE_URL_INVALID instead of "URI malformed". Neither needs a server: both fail before any
// connection, which is also why they must exit at once.
describe('exit codes of configuration mistakes', () => {
  const work = scratchDir('dbrs-fault-exit-');
  afterAll(() => work.remove());
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { env: { LOG_LEVEL: 'silent', DATABASE_URL: '', ...env }, cwd: work.path, timeoutMs: 30_000 });

  it('an unset ${VAR} without a default in the config file: exit 2, CONFIG_VARIABLE_UNSET naming it', async () => {
    const file = join(work.path, 'unset.yaml');
    writeFileSync(file, 'database:\n  host: ${DBRS_FAULT_TEST_NEVER_SET}\n  name: app\n');
    const r = await cli(['status', '--json', '--config', file], { DBRS_FAULT_TEST_NEVER_SET: undefined });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('CONFIG_VARIABLE_UNSET');
    expect(r.stderr).toContain('DBRS_FAULT_TEST_NEVER_SET');
  });

  it.each([
    { part: 'password', url: 'postgres://app:s3cr%zzet-pw@127.0.0.1:1/app', via: 'env' },
    { part: 'password', url: 'postgres://app:s3cr%zzet-pw@127.0.0.1:1/app', via: '--url' },
    { part: 'user name', url: 'postgres://ap%p:s3cret-pw-xyz@127.0.0.1:1/app', via: 'env' },
    { part: 'database name', url: 'postgres://app:s3cret-pw-xyz@127.0.0.1:1/a%G0pp', via: '--url' },
  ])(
    'a bad escape in the $part (URL from $via): exit 2, DATABASE_URL_INVALID, no password',
    async ({ part, url, via }) => {
      const r = await cli(
        ['status', '--json', ...(via === '--url' ? ['--url', url] : [])],
        via === 'env' ? { DATABASE_URL: url } : {},
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('DATABASE_URL_INVALID');
      expect(r.stderr).toContain(part);
      expect(r.stderr).not.toMatch(/URI malformed/);
      expect(r.stdout + r.stderr).not.toContain('s3cr');
    },
  );
});
