import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite } from '../src/index.js';
import { CLI_LAUNCH, type CliResult, runCli } from './support/run-cli.js';
import { scratchDir } from './support/suite-helpers.js';

const RECORDER = resolve(import.meta.dirname, 'support/record-module-loads.mjs');

/** The packages (by name) among the modules a process loaded. */
function packagesIn(urls: string[]): Set<string> {
  const names = new Set<string>();
  for (const url of urls) {
    // pnpm's layout: …/node_modules/.pnpm/<name>@<version>/node_modules/<name>/…; the last node_modules counts.
    const at = url.lastIndexOf('/node_modules/');
    if (at >= 0) {
      const rest = url.slice(at + '/node_modules/'.length).split('/');
      names.add(rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!);
    }
    const own = url.match(/\/packages\/([a-z]+)\/(?:src|dist)\//);
    if (own) names.add(`workspace:${own[1]}`);
  }
  return names;
}

/**
 * `dbrs status` answers from the stored analysis (#15 §5): what it loads is most of its time as a command. The
 * query builder (kysely), the migration runner (umzug, whose index loads its own CLI: @rushstack/*, fs-extra,
 * argparse) and the WASM SQL parser (libpg-query) are loaded where they are used, never by status. Counted in
 * modules, not milliseconds, so the test holds on a loaded machine.
 */
describe(`dbrs status loads only what it uses (CLI from ${CLI_LAUNCH.mode}: ${CLI_LAUNCH.reason})`, () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-graph-');
  const migrations = join(work.path, 'migrations');
  const env = () => ({
    DATABASE_URL: db.url,
    BACKUP_LOCAL_PATH: join(work.path, 'backups'),
    BACKUP_ENCRYPTION_KEY: 'graph-test-passphrase-0123456789',
    MIGRATIONS_DIR: migrations,
    LOG_LEVEL: 'silent',
  });
  let n = 0;
  async function recorded(args: string[], extraEnv: Record<string, string> = {}) {
    const log = join(work.path, `modules-${++n}.txt`);
    const r: CliResult = await runCli(args, {
      env: { ...env(), ...extraEnv, DBRS_MODULE_LOG: log, NODE_OPTIONS: `--import=${RECORDER}` },
      cwd: work.path,
      timeoutMs: 120_000,
    });
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return { r, urls, packages: packagesIn(urls) };
  }

  beforeAll(async () => {
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_rooms.sql'),
      '-- migrate:up\nCREATE TABLE rooms (id bigint PRIMARY KEY, floor int);\n-- migrate:down\nDROP TABLE rooms;\n',
    );
    // What the sidecar's maintenance cycle does: store an analysis for status to read.
    const suite = await createDatabaseReliabilitySuite(db.url, {
      backupEnabled: false,
      capacityEnabled: false,
      migrationsEnabled: false,
      logLevel: 'silent',
    });
    try {
      const cycle = await suite.runMaintenanceCycle();
      expect(cycle.tasks.find((t) => t.task === 'performance.analysis')?.outcome).toBe('completed');
    } finally {
      await suite.shutdown();
    }
  });
  afterAll(() => work.remove());

  it('status (every default feature on, a migrations directory, a stored analysis) loads no kysely, umzug or libpg-query', async () => {
    const { r, urls, packages } = await recorded(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const status = r.json();
    // The paths that must stay light did run: the stored analysis was read, migration state was read.
    expect(status.components.performance.details.analysis.source).toBe('table');
    expect(status.components.migrations.details.pending).toBe(1);
    expect(status.components.backup.status).not.toBe('disabled');
    expect(status.components.capacity.status).not.toBe('disabled');
    // The recorder saw the process's modules (the driver, and the workspace packages status uses).
    expect(packages).toContain('pg');
    for (const p of ['core', 'performance', 'migrations', 'suite']) expect(packages).toContain(`workspace:${p}`);
    const heavy = [...packages].filter((p) =>
      /^(kysely|umzug|libpg-query|@pgsql\/.*|@rushstack\/.*|fs-extra|argparse)$/.test(p),
    );
    expect(heavy, 'modules status does not need').toEqual([]);
    // Third-party modules: 760 when these were loaded with their packages, 321 without them (core's zod, yaml,
    // pg, pino, prom-client and what they load). Counted the same from source and from the build.
    const thirdParty = urls.filter((u) => u.includes('/node_modules/'));
    expect(thirdParty.length).toBeLessThan(400);
  }, 180_000);

  it('the same recorder sees them where they are used: migrate up loads umzug and the SQL parser', async () => {
    const { r, packages } = await recorded(['migrate', 'up', '--json'], { BACKUP_ENABLED: 'false' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().applied).toEqual(['0001_rooms']);
    expect(packages).toContain('umzug');
    expect(packages).toContain('libpg-query');
  }, 180_000);
});
