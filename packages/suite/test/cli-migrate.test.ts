import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase } from '@voicehive/db-core';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_LAUNCH, runCli, spawnCli } from './support/run-cli.js';
import { scratchDir, sql } from './support/suite-helpers.js';

const rulesOf = (findings: Array<{ rule: string }>) => findings.map((f) => f.rule);

describe(`dbrs migrate lint with rule selection (from ${CLI_LAUNCH.mode})`, () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-cli-lint-');
  const migrations = join(work.path, 'migrations');
  const cli = (args: string[]) =>
    runCli(args, {
      env: { DATABASE_URL: db.url, MIGRATIONS_DIR: migrations, LOG_LEVEL: 'silent' },
      cwd: work.path,
    });

  beforeAll(() => {
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_stays.sql'),
      '-- migrate:up\nCREATE TABLE "guestStays" (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE "guestStays";\n',
    );
    // ./database_config.yaml is read by default; plain.yaml has no lint section.
    writeFileSync(
      join(work.path, 'database_config.yaml'),
      "migrations:\n  lint:\n    enabled_rules: [require-table-schema]\n    naming_pattern: '[a-z][A-Za-z0-9]*'\n",
    );
    writeFileSync(join(work.path, 'plain.yaml'), 'migrations:\n  test_first: false\n');
    writeFileSync(join(work.path, 'typo.yaml'), 'migrations:\n  lint:\n    disabled_rules: [naming-conventoin]\n');
  });
  afterAll(() => work.remove());

  it('honours migrations.lint from the config and --enable-rule / --disable-rule on top', async () => {
    const [configured, disabledByFlag, plain, enabledByFlag] = await Promise.all([
      cli(['migrate', 'lint', '--json']),
      cli(['migrate', 'lint', '--json', '--disable-rule', 'require-table-schema']),
      cli(['migrate', 'lint', '--json', '--config', 'plain.yaml']),
      cli([
        'migrate',
        'lint',
        '--json',
        '--config',
        'plain.yaml',
        '--enable-rule',
        'require-table-schema',
        '--disable-rule',
        'naming-convention,prefer-bigint-over-int',
      ]),
    ]);
    for (const r of [configured, disabledByFlag, plain, enabledByFlag]) expect(r.code, r.stderr).toBe(0);
    // The opt-in rule runs only when enabled (config or flag); the camelCase pattern from the config accepts "guestStays".
    expect(rulesOf(configured.json().findings)).toContain('require-table-schema');
    expect(rulesOf(configured.json().findings)).not.toContain('naming-convention');
    expect(rulesOf(disabledByFlag.json().findings)).not.toContain('require-table-schema');
    expect(rulesOf(plain.json().findings)).not.toContain('require-table-schema');
    expect(rulesOf(plain.json().findings)).toContain('naming-convention');
    expect(rulesOf(enabledByFlag.json().findings)).toContain('require-table-schema');
    expect(rulesOf(enabledByFlag.json().findings)).not.toContain('naming-convention');
  });

  it('refuses an unknown rule id from a flag or the config: exit 2, the nearest id and the valid ones', async () => {
    const [flag, config, clash] = await Promise.all([
      cli(['migrate', 'lint', '--enable-rule', 'require-table-shema']),
      cli(['migrate', 'lint', '--config', 'typo.yaml']),
      cli(['migrate', 'lint', '--enable-rule', 'naming-convention', '--disable-rule', 'naming-convention']),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('unknown lint rule "require-table-shema"; did you mean "require-table-schema"?');
    expect(flag.stderr).toContain('Valid rule ids: adding-exclusion-constraint');
    expect(flag.stdout).toBe('');
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('Invalid migrations configuration (migrations.*): lint.disabledRules');
    expect(config.stderr).toContain('did you mean "naming-convention"?');
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('given to both --enable-rule and --disable-rule');
  });
});

describe(`dbrs migrate repair (from ${CLI_LAUNCH.mode})`, () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-cli-repair-');
  const migrations = join(work.path, 'migrations');
  const first = join(migrations, '0001_rooms.sql');
  const cli = (args: string[]) =>
    runCli(args, {
      env: { DATABASE_URL: db.url, MIGRATIONS_DIR: migrations, LOG_LEVEL: 'silent' },
      cwd: work.path,
    });
  const recorded = async () =>
    (await sql<{ checksum: string }>(db.url, `SELECT checksum FROM dbrs.dbrs_migrations WHERE name = '0001_rooms'`))[0]
      ?.checksum;

  beforeAll(() => {
    mkdirSync(migrations);
    // No scratch-copy test before each up: this is about the checksum gate, not the migration test.
    writeFileSync(join(work.path, 'database_config.yaml'), 'migrations:\n  test_first: false\n');
    writeFileSync(
      first,
      '-- migrate:up\nCREATE TABLE rooms (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE rooms;\n',
    );
  });
  afterAll(() => work.remove());

  it('up refuses an edited applied file; repair needs --yes, then accepts it (audited); up runs again', async () => {
    const up = await cli(['migrate', 'up', '--json']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.json().applied).toEqual(['0001_rooms']);
    const original = await recorded();
    expect(original).toMatch(/^[0-9a-f]{64}$/);

    appendFileSync(first, '-- reviewed: comment added after the deploy\n');
    writeFileSync(
      join(migrations, '0002_guests.sql'),
      '-- migrate:up\nCREATE TABLE guests (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE guests;\n',
    );
    const blocked = await cli(['migrate', 'up', '--json']);
    expect(blocked.code).toBe(1);
    expect(blocked.json().errorMessage).toContain('0001_rooms changed on disk since they were applied');
    expect(blocked.json().errorMessage).toContain('dbrs migrate repair <name> --yes');

    const refused = await cli(['migrate', 'repair']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('rewrites the recorded checksums of 0001_rooms');
    expect(refused.stderr).toContain('--yes');
    expect(await recorded()).toBe(original);

    const repaired = await cli(['migrate', 'repair', '--yes']);
    expect(repaired.code, repaired.stderr).toBe(0);
    const now = await recorded();
    expect(now).not.toBe(original);
    expect(repaired.stdout).toMatch(/MIGRATION\s+CHECKSUM/);
    expect(repaired.stdout).toContain(`0001_rooms  ${original!.slice(0, 12)} → ${now!.slice(0, 12)}`);
    const audit = await sql<{ actor: string; details: { previousChecksum: string; checksum: string } }>(
      db.url,
      `SELECT actor, details FROM dbrs.dbrs_audit_log WHERE action = 'migration.repair' AND target = '0001_rooms' AND outcome = 'success'`,
    );
    expect(audit.map((a) => a.details)).toEqual([{ previousChecksum: original, checksum: now }]);

    const again = await cli(['migrate', 'repair', '--json']);
    expect(again.code).toBe(0);
    expect(again.json().repaired).toEqual([]);

    const upAfter = await cli(['migrate', 'up', '--json']);
    expect(upAfter.code, upAfter.stderr + upAfter.stdout).toBe(0);
    expect(upAfter.json().applied).toEqual(['0002_guests']);
    expect(await sql(db.url, `SELECT to_regclass('guests') IS NOT NULL AS present`)).toEqual([{ present: true }]);
  });

  it('repair <name> --json repairs only that one; an unknown name is a usage error', async () => {
    appendFileSync(first, '-- second review\n');
    const before = await recorded();
    const [unknown, named] = [
      await cli(['migrate', 'repair', '0009_nope', '--yes']),
      await cli(['migrate', 'repair', '0001_rooms', '--yes', '--json']),
    ];
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('0009_nope is not an applied migration (applied: 0001_rooms, 0002_guests)');
    expect(named.code, named.stderr).toBe(0);
    const [entry] = named.json().repaired;
    expect(entry).toEqual({ name: '0001_rooms', previousChecksum: before, checksum: await recorded() });
    expect(entry.checksum).not.toBe(before);
    const status = await cli(['migrate', 'status', '--json']);
    expect(status.json().checksumMismatches).toEqual([]);
  });
});

describe(`dbrs migrate test --with-data / --sample-rows (from ${CLI_LAUNCH.mode})`, () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-cli-mtest-');
  const migrations = join(work.path, 'migrations');
  const cli = (args: string[]) =>
    runCli(args, {
      env: { DATABASE_URL: db.url, MIGRATIONS_DIR: migrations, LOG_LEVEL: 'silent' },
      cwd: work.path,
    });

  beforeAll(async () => {
    mkdirSync(migrations);
    writeFileSync(join(work.path, 'database_config.yaml'), 'migrations:\n  test_first: false\n');
    await sql(db.url, 'CREATE TABLE nights (id int PRIMARY KEY, n int)');
    await sql(db.url, 'INSERT INTO nights SELECT g, g FROM generate_series(1, 500) g');
    await sql(db.url, 'ANALYZE nights');
    writeFileSync(
      join(migrations, '0001_widen.sql'),
      '-- migrate:up\nALTER TABLE nights ALTER COLUMN n TYPE bigint;\n-- migrate:down\nALTER TABLE nights ALTER COLUMN n TYPE int;\n',
    );
  });
  afterAll(() => work.remove());

  it('says which copy it tested on and prints the lock trace in the plain output', async () => {
    const [auto, sample] = await Promise.all([
      cli(['migrate', 'test', '--with-data']),
      cli(['migrate', 'test', '--sample-rows', '40', '--json']),
    ]);
    expect(auto.code, auto.stderr + auto.stdout).toBe(0);
    expect(auto.stdout).toMatch(/Copy: full copy of the data \(source user tables [\d.]+ MB\)/);
    expect(auto.stdout).toMatch(/#1 +\d+ ms {2}ALTER TABLE nights ALTER COLUMN n TYPE bigint/);
    expect(auto.stdout).toMatch(/locks: public\.nights ACCESS EXCLUSIVE.*; rewrites: public\.nights/);
    expect(sample.code, sample.stderr + sample.stdout).toBe(0);
    const report = sample.json();
    expect(report.copy).toMatchObject({ kind: 'sample', sampleRows: 40 });
    expect(report.copy.tables).toContainEqual({ table: 'public.nights', sourceRows: 500, copiedRows: 40 });
    expect(report.migrations[0].statements[0].rewrites).toEqual(['public.nights']);
  }, 120_000);

  it('refuses a bad --sample-rows before connecting: exit 2', async () => {
    const r = await cli(['migrate', 'test', '--sample-rows', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--sample-rows must be a positive whole number of rows per table, got "lots"');
  });
});

describe(`dbrs migrate up says what it waits for (from ${CLI_LAUNCH.mode})`, () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const work = scratchDir('dbrs-cli-wait-');
  const migrations = join(work.path, 'migrations');

  beforeAll(async () => {
    mkdirSync(migrations);
    writeFileSync(
      join(work.path, 'database_config.yaml'),
      'migrations:\n  test_first: false\n  lock_timeout_ms: 3000\n',
    );
    await sql(db.url, 'CREATE TABLE guests (id int PRIMARY KEY)');
    writeFileSync(
      join(migrations, '0001_phone.sql'),
      '-- migrate:up\nALTER TABLE guests ADD COLUMN phone text;\n-- migrate:down\nALTER TABLE guests DROP COLUMN phone;\n',
    );
  });
  afterAll(() => work.remove());

  it('prints a waiting: line naming the blocker while a lock is held, then applies once it is gone', async () => {
    // An idle-in-transaction session holding row locks on guests (the incident), on its own pool.
    await using blockerDb = createDatabase(db.url, { applicationName: 'dbrs-cli-blocker', poolMax: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let holding!: (pid: number) => void;
    const held = new Promise<number>((r) => {
      holding = r;
    });
    const blocker = blockerDb.withClient(async (c) => {
      const { pid } = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
      // Last, so pg_stat_activity shows it as the blocker's query.
      await c.query('BEGIN');
      await c.query('SELECT * FROM guests FOR UPDATE');
      holding(pid);
      await gate;
      await c.query('COMMIT');
    });
    const pid = await held;
    const child = spawnCli(['migrate', 'up'], {
      env: { DATABASE_URL: db.url, MIGRATIONS_DIR: migrations, LOG_LEVEL: 'silent' },
      cwd: work.path,
    });
    let stderr = '';
    let stdout = '';
    let released = false;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      // The blocker ends as soon as the CLI has said what it waits for.
      if (!released && stderr.includes('waiting: ')) {
        released = true;
        release();
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    release();
    await blocker;
    expect(code, stderr + stdout).toBe(0);
    const line = stderr.split('\n').find((l) => l.startsWith('waiting: '))!;
    expect(line).toMatch(
      new RegExp(
        `^waiting: migration 0001_phone waits \\d+ s for AccessExclusiveLock on guests, blocked by pid ${pid} \\(dbrs-cli-blocker, idle in transaction, for \\d+ s: SELECT \\* FROM guests FOR UPDATE\\)`,
      ),
    );
    expect(stdout).toContain('Applied 1 migration(s)');
  }, 120_000);
});
