import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { type Fixture, fixture, sqlMigration, tableExists } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const runMigrations = fileURLToPath(new URL('./fixtures/run-migrations.ts', import.meta.url));
const sourceHooks = fileURLToPath(new URL('../../../scripts/register-source-hooks.mjs', import.meta.url));

/**
 * `node fixtures/run-migrations.ts <url> <dir>` with the repo's shared source
 * hooks, in strip-only mode (no --experimental-transform-types, unlike
 * scripts/run-source.sh): user .ts migrations must load exactly as a plain
 * Node 24 process loads them in production.
 */
function spawnMigrationRun(f: Fixture) {
  return spawn(
    process.execPath,
    ['--conditions=@voicehive/source', '--import', sourceHooks, runMigrations, f.url, f.dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

it('a runner killed mid-migration leaves no lock, no half-applied migration, and the next run continues', async () => {
  fx = await fixture({
    '001_first.sql': sqlMigration('CREATE TABLE first (id int);', 'DROP TABLE first;'),
    '002_slow.sql': sqlMigration('CREATE TABLE slow (id int);\nSELECT pg_sleep(60);', 'DROP TABLE slow;'),
  });
  const child = spawnMigrationRun(fx);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const sleeping = await waitFor(async () => {
    const r = await fx!.db.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'voicehive-dbrs-migrate' AND query LIKE '%pg_sleep%' AND state = 'active'",
    );
    return (r.rowCount ?? 0) > 0;
  }, 20_000);
  expect(sleeping, stderr).toBe(true);
  const advisoryHeld = await fx.db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted");
  expect(advisoryHeld.rowCount).toBe(1);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;

  // Advisory lock and the migrating session both die with the client (client_connection_check_interval).
  const gone = await waitFor(async () => {
    const r = await fx!.db.query(
      "SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory') AS locks, (SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'voicehive-dbrs-%' AND application_name <> 'voicehive-dbrs') AS sessions",
    );
    return Number(r.rows[0]!.locks) === 0 && Number(r.rows[0]!.sessions) === 0;
  }, 10_000);
  expect(gone).toBe(true);

  const m = fx.manager();
  const status = await m.status();
  expect(status.applied.map((a) => a.name)).toEqual(['001_first']);
  expect(status.pending).toEqual(['002_slow']);
  expect(await tableExists(fx.db, 'slow')).toBe(false);

  await fx.write({
    '002_slow.sql': sqlMigration('CREATE TABLE slow (id int);\nSELECT pg_sleep(0);', 'DROP TABLE slow;'),
  });
  const next = await m.runMigration();
  expect(next.errorMessage).toBeUndefined();
  expect(next.applied).toEqual(['002_slow']);
}, 60_000);

it('loads a .ts migration with Node 24 type stripping in a plain node process', async () => {
  fx = await fixture({
    '001_typed.ts': `interface Ctx { db: { schema: { createTable(n: string): any; dropTable(n: string): any } } }
export async function up({ db }: Ctx): Promise<void> {
  await db.schema.createTable('typed').addColumn('id', 'bigint').execute();
}
export async function down({ db }: Ctx): Promise<void> {
  await db.schema.dropTable('typed').execute();
}
`,
  });
  const child = spawnMigrationRun(fx);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  expect(code).toBe(0);
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ success: true, applied: ['001_typed'] });
  expect(await tableExists(fx.db, 'typed')).toBe(true);
}, 60_000);
