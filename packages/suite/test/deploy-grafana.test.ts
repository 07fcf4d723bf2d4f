import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useTestDatabase } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite } from '../src/index.js';
import { dashboardExpressions, isExported, metricNamesIn, ruleExpressions } from './support/promql.js';
import { scratchDir } from './support/suite-helpers.js';

const deploy = resolve(import.meta.dirname, '../../../deploy');
const DASHBOARDS = [
  'Database Performance Overview',
  'Capacity Planning',
  'Backup & Recovery',
  'Migration & Maintenance',
];

/** The names the issues promise (histograms additionally get _bucket/_sum/_count). */
const ISSUE_METRICS = [
  'voicehive_db_query_duration_seconds',
  'voicehive_db_slow_queries_total',
  'voicehive_db_index_usage_ratio',
  'voicehive_db_connection_pool_size',
  'voicehive_db_capacity_usage_percent',
  'voicehive_db_growth_rate_mb_per_day',
  'voicehive_db_capacity_forecast_days',
  'voicehive_backup_status',
  'voicehive_backup_duration_seconds',
  'voicehive_backup_size_bytes',
];

describe('dashboards and alert rules query only metrics the suite exports', () => {
  const db = useTestDatabase({ beforeAll, afterAll });
  const dirs = [scratchDir('dbrs-grafana-backups-'), scratchDir('dbrs-grafana-migrations-')];
  let suite: DatabaseReliabilitySuite;
  let exported: Map<string, string>;

  beforeAll(async () => {
    writeFileSync(
      join(dirs[1]!.path, '0001_init.sql'),
      '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n',
    );
    // Every feature on, against a real server: the registry then holds what a deployment exports.
    suite = await createDatabaseReliabilitySuite(db.url, {
      backupLocalPath: dirs[0]!.path,
      migrationsDir: dirs[1]!.path,
      logLevel: 'silent',
    });
    // As in a deployment that has run: a migration applied, then the durable-state metrics read once
    // (series with no value yet, such as the last-applied timestamp, are not exported at all).
    await (suite.migrations as { runMigration(o: { testFirst: boolean }): Promise<unknown> }).runMigration({
      testFirst: false,
    });
    await suite.refreshDurableMetrics();
    const metrics = await suite.registry.getMetricsAsJSON();
    exported = new Map(metrics.map((m) => [m.name, String(m.type)]));
  });
  afterAll(async () => {
    await suite?.shutdown();
    for (const d of dirs) d.remove();
  });

  it('has every feature wired, so the registry is complete', () => {
    for (const f of ['performance', 'backup', 'migrations', 'capacity'] as const)
      expect(suite.features[f].state, f).toBe('active');
  });

  it('exports the metric names the issues promise', () => {
    for (const name of ISSUE_METRICS) expect(exported.has(name), name).toBe(true);
  });

  it('has the four dashboards', () => {
    const titles = [
      'database-performance-overview',
      'capacity-planning',
      'backup-recovery',
      'migration-maintenance',
    ].map((f) => (JSON.parse(readFileSync(join(deploy, 'grafana', `${f}.json`), 'utf8')) as { title: string }).title);
    expect(titles).toEqual(DASHBOARDS);
  });

  it('every metric a dashboard panel queries is exported', () => {
    const exprs = dashboardExpressions(join(deploy, 'grafana'));
    expect(exprs.length).toBeGreaterThan(20);
    const missing = exprs.flatMap((e) =>
      metricNamesIn(e.expr)
        .filter((n) => !isExported(n, exported))
        .map((n) => `${e.file} / ${e.panel}: ${n}`),
    );
    expect(missing).toEqual([]);
  });

  it('every metric an alert rule uses is exported', () => {
    const exprs = ruleExpressions(readFileSync(join(deploy, 'prometheus', 'alerts.yml'), 'utf8'));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const missing = exprs.flatMap((e) => metricNamesIn(e).filter((n) => !isExported(n, exported)));
    expect(missing).toEqual([]);
  });

  it('the check itself catches a name that is not exported', () => {
    expect(isExported('voicehive_db_query_duration_seconds_bucket', exported)).toBe(
      exported.get('voicehive_db_query_duration_seconds') === 'histogram',
    );
    expect(isExported('voicehive_backup_duration_seconds_bucket', exported)).toBe(true);
    expect(isExported('voicehive_does_not_exist', exported)).toBe(false);
  });
});
