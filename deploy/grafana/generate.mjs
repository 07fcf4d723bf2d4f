// Regenerates the dashboards: `node deploy/grafana/generate.mjs`. The JSON files are the artifact;
// this script keeps their layout consistent. packages/suite/test/deploy-grafana.test.ts checks
// that every metric they query is one the suite exports.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import placeholder, not a JS template.
const ds = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

/**
 * Every metric selector gets the dashboard's job and instance filters, so a
 * deployment with several replicas (the Kubernetes manifest runs 2) or
 * several suites can be narrowed to one. Metric names are matched, label
 * sets merged: `voicehive_x{a="b"}` → `voicehive_x{job=~"$job",instance=~"$instance",a="b"}`.
 */
export function withFilters(expr) {
  return expr.replace(/\b(voicehive_[a-zA-Z0-9_:]+)(\{([^}]*)\})?/g, (_m, name, _b, labels) => {
    const filters = 'job=~"$job",instance=~"$instance"';
    return `${name}{${labels ? `${filters},${labels}` : filters}}`;
  });
}

function panel(id, title, type, targets, grid, extra = {}) {
  return {
    id,
    title,
    type,
    datasource: ds,
    gridPos: grid,
    targets: targets.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: ds,
      expr: withFilters(expr),
      legendFormat,
    })),
    ...extra,
  };
}
const unit = (u, thresholds) => ({
  fieldConfig: {
    defaults: { unit: u, ...(thresholds ? { thresholds: { mode: 'absolute', steps: thresholds } } : {}) },
    overrides: [],
  },
});

function dashboard(uid, title, description, panels) {
  return {
    __inputs: [
      {
        name: 'DS_PROMETHEUS',
        label: 'Prometheus',
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    uid,
    title,
    description,
    tags: ['voicehive', 'database'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-24h', to: 'now' },
    // No `database` variable: one suite watches one database, so the scrape target (instance) already
    // names it, and only the backup series (a catalog can hold several databases) carry a database label.
    templating: {
      list: [
        {
          name: 'job',
          label: 'Job',
          type: 'query',
          datasource: ds,
          query: 'label_values(voicehive_dbrs_component_health, job)',
          includeAll: true,
          allValue: '.*',
          multi: true,
          current: {},
          refresh: 2,
        },
        {
          name: 'instance',
          label: 'Instance',
          type: 'query',
          datasource: ds,
          query: 'label_values(voicehive_dbrs_component_health{job=~"$job"}, instance)',
          includeAll: true,
          allValue: '.*',
          multi: true,
          current: {},
          refresh: 2,
        },
      ],
    },
    panels: panels.map((p, i) => ({ ...p, id: i + 1 })),
  };
}

const dashboards = {
  'database-performance-overview.json': dashboard(
    'voicehive-db-performance',
    'Database Performance Overview',
    'Query latency, slow queries, index usage and the connection pool.',
    [
      panel(
        0,
        'Mean time of the top statements (pg_stat_statements)',
        'timeseries',
        [
          [
            'topk(10, voicehive_db_query_duration_seconds{stat="mean"}) * on (job, instance, queryid) group_left (query) voicehive_db_query_info',
            '{{query}}',
          ],
        ],
        { x: 0, y: 0, w: 12, h: 8 },
        unit('s'),
      ),
      panel(
        0,
        'Slow queries detected per hour',
        'timeseries',
        [['sum by (severity) (increase(voicehive_db_slow_queries_total[1h]))', '{{severity}}']],
        { x: 12, y: 0, w: 12, h: 8 },
        unit('short'),
      ),
      panel(
        0,
        'Cache hit ratio',
        'timeseries',
        [['voicehive_db_cache_hit_ratio', '{{kind}}']],
        { x: 0, y: 8, w: 8, h: 8 },
        unit('percentunit'),
      ),
      panel(
        0,
        'Index usage ratio',
        'timeseries',
        [['voicehive_db_index_usage_ratio', '{{table}}']],
        { x: 8, y: 8, w: 8, h: 8 },
        unit('percentunit'),
      ),
      panel(
        0,
        'Connection pool',
        'timeseries',
        [['voicehive_db_connection_pool_size', '{{state}}']],
        { x: 16, y: 8, w: 8, h: 8 },
        unit('short'),
      ),
      panel(
        0,
        'Component health (1 healthy, 0.5 degraded, 0 unhealthy)',
        'stat',
        [['voicehive_dbrs_component_health', '{{component}}']],
        { x: 0, y: 16, w: 24, h: 5 },
        unit('none', [
          { color: 'red', value: null },
          { color: 'orange', value: 0.5 },
          { color: 'green', value: 1 },
        ]),
      ),
    ],
  ),
  'capacity-planning.json': dashboard(
    'voicehive-db-capacity',
    'Capacity Planning',
    'Storage use, growth and the forecast of days until full.',
    [
      panel(
        0,
        'Storage used',
        'gauge',
        [['voicehive_db_capacity_usage_percent{resource="storage"}', '{{resource}}']],
        { x: 0, y: 0, w: 8, h: 8 },
        unit('percent', [
          { color: 'green', value: null },
          { color: 'orange', value: 80 },
          { color: 'red', value: 90 },
        ]),
      ),
      panel(
        0,
        'Days until full (pessimistic)',
        'stat',
        [['voicehive_db_capacity_forecast_days{bound="pessimistic"}', '{{resource}}']],
        { x: 8, y: 8 - 8, w: 8, h: 8 },
        unit('d', [
          { color: 'red', value: null },
          { color: 'orange', value: 7 },
          { color: 'green', value: 30 },
        ]),
      ),
      panel(
        0,
        'Growth rate',
        'stat',
        [['voicehive_db_growth_rate_mb_per_day{resource=~"storage|database_size"}', '{{resource}}']],
        { x: 16, y: 0, w: 8, h: 8 },
        unit('decmbytes'),
      ),
      panel(
        0,
        'Storage used over time',
        'timeseries',
        [['voicehive_db_capacity_usage_percent', '{{resource}}']],
        { x: 0, y: 8, w: 12, h: 9 },
        unit('percent'),
      ),
      panel(
        0,
        'Largest tables',
        'bargauge',
        [['topk(10, voicehive_db_capacity_table_size_bytes)', '{{schema}}.{{table}}']],
        { x: 0, y: 17, w: 12, h: 8 },
        unit('bytes'),
      ),
      panel(
        0,
        'Forecast backtest error (MAPE)',
        'timeseries',
        [['voicehive_db_capacity_forecast_backtest_mape_percent', '{{resource}}']],
        { x: 12, y: 17, w: 12, h: 8 },
        unit('percent'),
      ),
      panel(
        0,
        'Forecast days over time',
        'timeseries',
        [['voicehive_db_capacity_forecast_days{bound="pessimistic"}', '{{resource}}']],
        { x: 12, y: 8, w: 12, h: 9 },
        unit('d'),
      ),
    ],
  ),
  'backup-recovery.json': dashboard(
    'voicehive-db-backup',
    'Backup & Recovery',
    'Backup outcomes, age, size, verification and measured restore time.',
    [
      panel(
        0,
        'Latest backup (1 ok, 0 failed)',
        'stat',
        [['voicehive_backup_status', '{{database}} {{type}}']],
        { x: 0, y: 0, w: 6, h: 6 },
        unit('none', [
          { color: 'red', value: null },
          { color: 'green', value: 1 },
        ]),
      ),
      panel(
        0,
        'Age of last successful backup',
        'stat',
        [['time() - voicehive_backup_last_success_timestamp_seconds', '{{database}} {{type}}']],
        { x: 6, y: 0, w: 6, h: 6 },
        unit('s', [
          { color: 'green', value: null },
          { color: 'red', value: 93600 },
        ]),
      ),
      panel(
        0,
        'Latest verification (1 ok, 0 failed)',
        'stat',
        [['voicehive_backup_verification_status', '{{database}} level {{level}}']],
        { x: 12, y: 0, w: 6, h: 6 },
        unit('none', [
          { color: 'red', value: null },
          { color: 'green', value: 1 },
        ]),
      ),
      panel(
        0,
        'Measured restore time (RTO)',
        'stat',
        [['voicehive_backup_restore_test_duration_seconds', '{{database}}']],
        { x: 18, y: 0, w: 6, h: 6 },
        unit('s', [
          { color: 'green', value: null },
          { color: 'orange', value: 3600 },
        ]),
      ),
      panel(
        0,
        'Backup size',
        'timeseries',
        [['voicehive_backup_size_bytes', '{{database}} {{type}}']],
        { x: 0, y: 6, w: 12, h: 8 },
        unit('bytes'),
      ),
      panel(
        0,
        'Backup duration (mean over 1 d)',
        'timeseries',
        [
          [
            'rate(voicehive_backup_duration_seconds_sum[1d]) / rate(voicehive_backup_duration_seconds_count[1d])',
            '{{database}} {{type}}',
          ],
        ],
        { x: 12, y: 6, w: 12, h: 8 },
        unit('s'),
      ),
      panel(
        0,
        'Failed backups (24 h)',
        'timeseries',
        [['increase(voicehive_backup_failures_total[1d])', '{{database}} {{code}}']],
        { x: 0, y: 14, w: 12, h: 7 },
        unit('short'),
      ),
      panel(
        0,
        'Last verification',
        'stat',
        [['time() - voicehive_backup_last_verification_timestamp_seconds', '{{database}}']],
        { x: 12, y: 14, w: 12, h: 7 },
        unit('s'),
      ),
    ],
  ),
  'migration-maintenance.json': dashboard(
    'voicehive-db-migrations',
    'Migration & Maintenance',
    "Migrations applied and failed, and the maintenance cycle's tasks.",
    [
      panel(
        0,
        'Migrations applied (24 h)',
        'stat',
        [['sum by (direction) (increase(voicehive_migrations_applied_total[1d]))', '{{direction}}']],
        { x: 0, y: 8, w: 6, h: 6 },
        unit('short'),
      ),
      panel(
        0,
        'Migrations failed (24 h)',
        'stat',
        [['sum by (direction) (increase(voicehive_migrations_failed_total[1d]))', '{{direction}}']],
        { x: 6, y: 8, w: 6, h: 6 },
        unit('short', [
          { color: 'green', value: null },
          { color: 'red', value: 1 },
        ]),
      ),
      panel(
        0,
        'Migration duration p95',
        'timeseries',
        [
          [
            'histogram_quantile(0.95, sum by (le, direction) (rate(voicehive_migration_duration_seconds_bucket[1d])))',
            '{{direction}}',
          ],
        ],
        { x: 12, y: 8, w: 6, h: 6 },
        unit('s'),
      ),
      panel(
        0,
        'Last migration applied',
        'stat',
        [
          ['time() - voicehive_migration_last_applied_timestamp_seconds', 'age'],
          ['voicehive_migration_last_applied_info', '{{name}}'],
        ],
        { x: 18, y: 8, w: 6, h: 6 },
        unit('s'),
      ),
      panel(
        0,
        'Maintenance task runs (1 h)',
        'timeseries',
        [['sum by (task, outcome) (increase(voicehive_dbrs_maintenance_task_runs_total[1h]))', '{{task}} {{outcome}}']],
        { x: 0, y: 0, w: 12, h: 8 },
        unit('short'),
      ),
      panel(
        0,
        'Time since each task last completed',
        'table',
        [['time() - voicehive_dbrs_maintenance_last_success_timestamp_seconds', '{{task}}']],
        { x: 12, y: 0, w: 12, h: 8 },
        unit('s'),
      ),
    ],
  ),
};

for (const [file, d] of Object.entries(dashboards)) writeFileSync(join(here, file), `${JSON.stringify(d, null, 2)}\n`);
