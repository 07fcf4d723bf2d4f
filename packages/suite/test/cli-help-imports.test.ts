import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_LAUNCH, runCli } from './support/run-cli.js';
import { scratchDir } from './support/suite-helpers.js';

// The same recorder as the status module-graph test.
const RECORDER = resolve(import.meta.dirname, 'support/record-module-loads.mjs');
// Core's main entry and what it pulls in: the database client, the query builder, config validation, logging.
const HEAVY = /\/node_modules\/\.pnpm\/(pg|kysely|zod|pino)@|\/packages\/core\/(src|dist)\/index\.(ts|js)$/;

/** `dbrs --help` and usage errors must stay instant: they load no database or config library. */
describe(`dbrs help and usage errors load only the CLI's own modules (CLI from ${CLI_LAUNCH.mode})`, () => {
  let dir: ReturnType<typeof scratchDir>;
  afterEach(() => dir.remove());

  async function loaded(args: string[]) {
    dir = scratchDir('dbrs-imports-');
    const log = join(dir.path, 'modules.txt');
    const res = await runCli(args, { env: { NODE_OPTIONS: `--import=${RECORDER}`, DBRS_MODULE_LOG: log } });
    return { res, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  }

  it('--help', async () => {
    const { res, modules } = await loaded(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Usage: dbrs');
    // The log is real: the CLI's own entry is in it.
    expect(modules.some((m) => /\/packages\/suite\/(src|dist)\/cli\.(ts|js)$/.test(m))).toBe(true);
    expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('an unknown option (the parse error goes through core’s errorMessage)', async () => {
    const { res, modules } = await loaded(['status', '--bogus']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^dbrs: status: Unknown option '--bogus'/);
    expect(modules.some((m) => /\/packages\/core\/(src|dist)\/internal\.(ts|js)$/.test(m))).toBe(true);
    expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('a command that reaches the database does load them (the check can fail)', async () => {
    const { modules } = await loaded(['status', '--url', 'postgres://nobody@127.0.0.1:1/none']);
    expect(modules.filter((m) => HEAVY.test(m)).length).toBeGreaterThan(0);
  }, 180_000);
});
