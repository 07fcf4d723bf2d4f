import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { DatabaseBackupManager } from '@voicehive/db-backup';
import type { DatabaseCapacityManager } from '@voicehive/db-capacity';
import { createDatabase } from '@voicehive/db-core';
import type { DatabaseMigrationManager } from '@voicehive/db-migrations';
import { requireComponent, useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, type RunningServer } from '../src/index.js';
import { dashboardExpressions, ruleExpressions } from './support/promql.js';
import { scratchDir, sql } from './support/suite-helpers.js';

const PROMETHEUS = '/usr/bin/prometheus';
const hasPrometheus = requireComponent('prometheus', existsSync(PROMETHEUS), 'apt-get install prometheus');
const deploy = resolve(import.meta.dirname, '../../../deploy');

/**
 * Rule expressions whose whole point is to be empty while things are fine: the absent() companions.
 * Every other rule is checked through its series (the part left of the comparison), which must have data.
 */
const MEANT_TO_BE_EMPTY = [
  'absent(voicehive_dbrs_component_health)',
  'absent(voicehive_backup_last_success_timestamp_seconds)',
  'absent(voicehive_migrations_pending)',
  'absent(voicehive_db_capacity_current_value{resource="database_size"})',
];

/**
 * Rules whose series exist only when point-in-time recovery is in use (a WAL archive is configured; this
 * test's suite archives no WAL): they must parse, and are listed here instead of being checked for data.
 */
const NEEDS_WAL_ARCHIVE = ['voicehive_wal_archive_gap', 'voicehive_backup_pitr_window_seconds'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The left side of a rule's final comparison: the series the alert is about. */
function seriesOf(expr: string): string {
  const m = /^(.*?)\s*(>|<|==|!=|>=|<=)\s*[-\d.e* ]+$/.exec(expr);
  return m ? m[1]! : expr;
}

describe.skipIf(!hasPrometheus)('dashboards and alert rules against a real Prometheus scraping the suite', () => {
  const db = useTestDatabase({ beforeAll, afterAll }, { workload: { scale: 0.02, seed: 11 } });
  const work = scratchDir('dbrs-prometheus-live-');
  let suite: DatabaseReliabilitySuite;
  let server: RunningServer;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';

  const query = async (expr: string) => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    return body;
  };

  beforeAll(async () => {
    const migrations = join(work.path, 'migrations');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '0001_rooms.sql'),
      '-- migrate:up\nCREATE TABLE rooms_extra (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE rooms_extra;\n',
    );
    // A statement slow enough to be detected (warning at 500 ms), recurring.
    // Sent on the raw pool: statements through core's Database are tagged as the suite's own and not reported.
    {
      await using workload = createDatabase(db.url, { poolMax: 1, applicationName: 'workload' });
      for (let i = 0; i < 3; i++) await workload.pool.query('SELECT pg_sleep(0.6)');
    }
    // Storage in use now, as the capacity collector measures it (the whole cluster, with WAL): the history
    // written below grows into it, and the volume is three times that, so the forecast reaches the limit.
    const [used] = await sql<{ v: string; d: string }>(
      db.url,
      `SELECT (SELECT sum(pg_database_size(oid)) FROM pg_database WHERE datallowconn)
              + (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir()) AS v, pg_database_size(current_database()) AS d`,
    );
    const usedNow = Number(used!.v);
    const dbNow = Number(used!.d);
    const limitBytes = Math.round(usedNow * 3);
    suite = await createDatabaseReliabilitySuite(db.url, {
      backupType: 'logical',
      storageType: 'local',
      backupLocalPath: join(work.path, 'backups'),
      backupEncryptionKey: 'prometheus-live-passphrase-0123456789',
      migrationsDir: migrations,
      storageLimitBytes: limitBytes,
      logLevel: 'silent',
    });
    // What a deployment that has lived a while has done: migrations (one failed), backups (one failed),
    // a restore test, maintenance cycles, and capacity history (14 days, hourly, growing).
    const migrator = suite.migrations as DatabaseMigrationManager;
    await migrator.runMigration({ testFirst: false });
    writeFileSync(
      join(migrations, '0002_broken.sql'),
      '-- migrate:up\nALTER TABLE no_such_table ADD COLUMN x int;\n-- migrate:down\nSELECT 1;\n',
    );
    expect((await migrator.runMigration({ testFirst: false })).success).toBe(false);
    const backups = suite.backup as DatabaseBackupManager;
    const b = await backups.createBackup(suite.database.info.database);
    await backups.verifyBackup(b.backupId, { level: 3 });
    await expect(backups.createBackup('no_such_database_here')).rejects.toThrow();
    const capacity = suite.capacity as DatabaseCapacityManager;
    const now = Date.now();
    const samples = [];
    const hours = 14 * 24;
    for (let h = hours; h >= 1; h--) {
      const ts = new Date(now - h * 3600_000);
      // From half of today's size 14 days ago up to today's, hourly, with a little daily wobble.
      const f = 0.5 + (0.5 * (hours - h)) / hours + ((h % 24) - 12) * 0.0005;
      samples.push({ metric: 'database_size_bytes', ts, value: Math.round(dbNow * f) });
      samples.push({ metric: 'storage_used_bytes', ts, value: Math.round(usedNow * f) });
      samples.push({ metric: 'storage_limit_bytes', ts, value: limitBytes });
    }
    await capacity.store.write(samples);
    await suite.runMaintenanceCycle({ force: true });
    server = await suite.serve({ host: '127.0.0.1', port: 0 });
    await suite.refreshDurableMetrics();

    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const config = join(work.path, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [ ${JSON.stringify(join(deploy, 'prometheus', 'alerts.yml'))} ]`,
        'scrape_configs:',
        '  - job_name: dbrs',
        `    static_configs: [ { targets: [ "${new URL(server.url).host}" ] } ]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(work.path, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d) => (promLog += d));
    prometheus.stderr!.on('data', (d) => (promLog += d));
    // Ready, then at least two scrapes of the suite.
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`Prometheus did not scrape twice in time:\n${promLog}`);
      if (prometheus.exitCode !== null) throw new Error(`Prometheus exited ${prometheus.exitCode}:\n${promLog}`);
      const scrapes = await query('count_over_time(up{job="dbrs"}[5m])').catch(() => undefined);
      const n = Number((scrapes?.data?.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
      if (n >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 600_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await new Promise((r) => prometheus!.once('exit', r));
    }
    await suite?.shutdown();
    work.remove();
  });

  it('scrapes the suite successfully', async () => {
    const up = await query('up{job="dbrs"}');
    expect((up.data!.result[0] as { value: [number, string] }).value[1]).toBe('1');
  });

  it('every expression of every dashboard panel returns data', async () => {
    const exprs = dashboardExpressions(join(deploy, 'grafana'));
    expect(exprs.length).toBeGreaterThan(20);
    const empty: string[] = [];
    for (const e of exprs) {
      const expr = e.expr.replaceAll('$job', '.*').replaceAll('$instance', '.*');
      const r = await query(expr);
      expect(r.status, `${e.file} / ${e.panel}: ${r.error}`).toBe('success');
      if (r.data!.result.length === 0) empty.push(`${e.file} / ${e.panel}: ${expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('the top-statements panel labels series with query text, not bare ids', async () => {
    const e = dashboardExpressions(join(deploy, 'grafana')).find((x) => x.expr.includes('db_query_info'))!;
    const r = await query(e.expr.replaceAll('$job', '.*').replaceAll('$instance', '.*'));
    const labels = (r.data!.result as Array<{ metric: Record<string, string> }>).map((s) => s.metric['query']);
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.some((q) => /select/i.test(q ?? ''))).toBe(true);
  });

  it('every alert rule parses, and its series has data unless it is an absent() companion', async () => {
    const rules = ruleExpressions(readFileSync(join(deploy, 'prometheus', 'alerts.yml'), 'utf8'));
    expect(rules.length).toBeGreaterThanOrEqual(17);
    const empty: string[] = [];
    for (const expr of rules) {
      const full = await query(expr);
      expect(full.status, `${expr}: ${full.error}`).toBe('success');
      if (MEANT_TO_BE_EMPTY.includes(expr)) {
        expect(full.data!.result, expr).toEqual([]);
        continue;
      }
      if (NEEDS_WAL_ARCHIVE.some((n) => expr.includes(n))) continue;
      const series = await query(seriesOf(expr));
      if (series.data!.result.length === 0) empty.push(seriesOf(expr));
    }
    expect(empty).toEqual([]);
    expect(rules.filter((r) => r.startsWith('absent(')).sort()).toEqual([...MEANT_TO_BE_EMPTY].sort());
  });

  it('Prometheus loaded the rules and evaluates them', async () => {
    const res = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(17);
    expect(rules.filter((r) => r.health === 'err')).toEqual([]);
  });
});
