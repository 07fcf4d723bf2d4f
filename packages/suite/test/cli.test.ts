import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_LAUNCH, runCli, spawnCli } from './support/run-cli.js';
import { droppingS3, scratchDir, sql } from './support/suite-helpers.js';

describe(`dbrs CLI as a child process (from ${CLI_LAUNCH.mode}: ${CLI_LAUNCH.reason})`, () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.02, seed: 3 } });
  const work = scratchDir('dbrs-cli-');
  const backups = join(work.path, 'backups');
  const migrations = join(work.path, 'migrations');
  const env = () => ({
    DATABASE_URL: db.url,
    BACKUP_LOCAL_PATH: backups,
    BACKUP_ENCRYPTION_KEY: 'cli-test-passphrase-0123456789',
    MIGRATIONS_DIR: migrations,
    LOG_LEVEL: 'silent',
  });
  const cli = (args: string[]) => runCli(args, { env: env(), cwd: work.path });

  beforeAll(() => {
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_loyalty.sql'),
      '-- migrate:up\nCREATE TABLE loyalty (id bigint PRIMARY KEY, guest_id bigint);\n-- migrate:down\nDROP TABLE loyalty;\n',
    );
    writeFileSync(
      join(migrations, '0002_loyalty_idx.sql'),
      '-- migrate:up\nCREATE INDEX loyalty_guest_idx ON loyalty (guest_id);\n-- migrate:down\nDROP INDEX loyalty_guest_idx;\n',
    );
  });
  afterAll(() => work.remove());

  it('status --json: parses, exit 0 when not unhealthy', async () => {
    const r = await cli(['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const status = r.json();
    expect(status.components.database.status).toBe('healthy');
    expect(['healthy', 'degraded']).toContain(status.overallHealth);
  });

  it('status against an unreachable database: exit 3 with an unhealthy status', async () => {
    const r = await runCli(['status', '--json', '--url', 'postgres://u:topsecretpw@127.0.0.1:1/x'], {
      env: { LOG_LEVEL: 'silent' },
      cwd: work.path,
    });
    expect(r.code).toBe(3);
    expect(r.json().overallHealth).toBe('unhealthy');
    expect(r.stdout + r.stderr).not.toContain('topsecretpw');
  });

  it('usage errors: exit 2, one line on stderr naming the fix', async () => {
    const [unknown, group, flag, missing] = await Promise.all([
      cli(['frobnicate']),
      cli(['backup']),
      cli(['status', '--bogus']),
      cli(['backup', 'restore', 'some-id']),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('create, list, verify, restore, cleanup');
    expect(flag.code).toBe(2);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--target-url');
  });

  it('backup create, list, verify (restore test), restore and cleanup', async () => {
    const created = await cli(['backup', 'create', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { backupId, encrypted } = created.json();
    expect(encrypted).toBe(true);

    const listed = await cli(['backup', 'list', '--json']);
    expect(listed.json().map((b: { backupId: string }) => b.backupId)).toEqual([backupId]);

    const verified = await cli(['backup', 'verify', backupId, '--level', '3', '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ ok: true, level: 3 });

    const target = `${db.database.name}_restored`;
    const restored = await cli(['backup', 'restore', backupId, '--target-database', target, '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json().targetDatabase).toBe(target);
    await sql(db.server.superuserUrl, `DROP DATABASE IF EXISTS "${target}"`);

    const cleanup = await cli(['backup', 'cleanup', '--dry-run', '--json']);
    expect(cleanup.code).toBe(0);
    expect(cleanup.json()).toMatchObject({ dryRun: true, deleted: [] });

    const human = await cli(['backup', 'list']);
    expect(human.stdout).toMatch(/BACKUPID\s+DATABASE/);
    expect(human.stdout).toContain(backupId);
  });

  it('migrate status, plan, lint, up, down', async () => {
    const status = await cli(['migrate', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json().pending).toEqual(
      ['0001_loyalty.sql', '0002_loyalty_idx.sql'].map((n) => expect.stringContaining(n.replace('.sql', ''))),
    );
    const plan = await cli(['migrate', 'plan', '--json']);
    expect(plan.json().migrations).toHaveLength(2);
    const lint = await cli(['migrate', 'lint', '--json']);
    // CREATE INDEX without CONCURRENTLY on an existing table is flagged (the table is new here, so maybe not): only check the shape.
    expect(lint.json()).toHaveProperty('findings');
    // The backup feature is on, its storage is down and archive_mode is off: no restore point could ever be
    // reached, so the one cheap read decides and the backup feature is never started (its storage never dialled).
    const storage = await droppingS3();
    let up: Awaited<ReturnType<typeof runCli>>;
    try {
      up = await runCli(['migrate', 'up', '--json'], { env: { ...env(), ...storage.env }, cwd: work.path });
    } finally {
      await storage.close();
    }
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.json().applied).toHaveLength(2);
    expect(up.json().restorePoint).toEqual({ created: false, reason: 'WAL archiving is off (archive_mode)' });
    // Also said on the terminal: this run has no undo point.
    expect(up.stderr).toContain('no restore point: WAL archiving is off (archive_mode)');
    expect(storage.requests()).toBe(0);
    expect(await sql(db.url, `SELECT to_regclass('loyalty') IS NOT NULL AS present`)).toEqual([{ present: true }]);
    const down = await cli(['migrate', 'down', '--step', '1', '--json']);
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(down.json().reverted).toHaveLength(1);
    // Five CLI processes in a row, each starting node and connecting: 47-60 s at load 8-16 on 2 shared cores.
  }, 180_000);

  it('performance recommend, capacity report and pgbouncer config', async () => {
    const [recommend, capacity, bouncer] = await Promise.all([
      cli(['performance', 'recommend', '--json']),
      cli(['capacity', 'report', '--json']),
      cli([
        'pgbouncer',
        'config',
        '--profile',
        'analytics',
        '--url',
        'postgres://app:app-secret-pw@db.internal:5432/hotel',
        '--json',
      ]),
    ]);
    expect(recommend.code, recommend.stderr).toBe(0);
    expect(Array.isArray(recommend.json())).toBe(true);
    for (const r of recommend.json()) expect(r.createSql).toMatch(/^CREATE INDEX/);
    expect(capacity.code, capacity.stderr).toBe(0);
    expect(capacity.json().current.database.sizeBytes).toBeGreaterThan(1_000_000);
    expect(bouncer.code).toBe(0);
    expect(bouncer.code, bouncer.stderr).toBe(0);
    expect(bouncer.json().ini).toContain('pool_mode = session');
    expect(bouncer.json().ini).toContain('hotel = host=db.internal port=5432 dbname=hotel');
    // The password never goes to stdout (the userlist is written only to --userlist-out).
    expect(bouncer.stdout).not.toContain('app-secret-pw');
  });

  it('serve: health and metrics on their own ports, clean exit on SIGTERM', async () => {
    const child = spawnCli(['serve', '--port', '0', '--metrics-port', '0', '--json', '--no-scheduler'], {
      env: env(),
      cwd: work.path,
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout! });
        rl.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
      });
      const info = JSON.parse(line) as { url: string; metricsUrl: string };
      expect((await fetch(`${info.url}/health`)).status).toBe(200);
      expect((await fetch(`${info.url}/ready`)).status).toBe(200);
      const metrics = await fetch(info.metricsUrl);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('voicehive_backup_status');
      expect(new URL(info.metricsUrl).port).not.toBe(new URL(info.url).port);
      // The main port does not serve metrics, the metrics port does not serve the page.
      expect((await fetch(`${info.url}/metrics`)).status).toBe(404);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
