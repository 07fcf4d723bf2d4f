import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { failure, useConfigDir } from './config-dir.js';

const { yamlFile, load } = useConfigDir();
const EXAMPLE = fileURLToPath(new URL('../../../database_config.example.yaml', import.meta.url));

describe("the original's nested YAML", () => {
  it('loads the documented file and every value arrives in the model', async () => {
    await yamlFile(`
database:
  host: db.internal
  port: 5433
  pool: { min_size: 3, max_size: 12 }
performance:
  indexing: { auto_recommendations: false, slow_query_threshold_ms: 800 }
  monitoring: { interval: 30, thresholds: { warning_ms: 400, critical_ms: 900 } }
backup:
  type: physical
  storage:
    type: s3
    s3: { bucket: voicehive-backups, region: eu-west-1 }
  retention: { days: 14 }
`);
    const c = load();
    expect(c.database).toMatchObject({ host: 'db.internal', port: 5433, poolMinSize: 3, poolMaxSize: 12 });
    expect(c.performance.indexAdvisor.enabled).toBe(false);
    expect(c.performance.slowQueryThresholdMs).toBe(800);
    expect(c.performance.snapshotIntervalMs).toBe(30_000); // the original's interval is in seconds
    expect(c.performance.warningMs).toBe(400);
    expect(c.performance.criticalMs).toBe(900);
    expect(c.backup).toMatchObject({
      backupType: 'physical',
      storageType: 's3',
      s3Bucket: 'voicehive-backups',
      s3Region: 'eu-west-1',
      retentionDays: 14,
    });
  });

  it('maps every storage type and retention key', async () => {
    await yamlFile(`
backup:
  storage:
    type: gcs
    local: { path: /var/backups }
    s3: { bucket: b, endpoint: http://s3.local, prefix: p/, force_path_style: true, access_key_id: AK, secret_access_key: SK }
    azure: { container: c, connection_string: "UseDevelopmentStorage=true" }
    gcs: { bucket: g, prefix: gp/, project_id: proj, api_endpoint: http://gcs.local }
  retention: { days: 9, keep_last: 2, gfs: { daily: 7, weekly: 4, monthly: 12 } }
`);
    const b = load().backup;
    expect(b).toMatchObject({
      storageType: 'gcs',
      localPath: '/var/backups',
      s3Bucket: 'b',
      s3Endpoint: 'http://s3.local',
      s3Prefix: 'p/',
      s3ForcePathStyle: true,
      s3AccessKeyId: 'AK',
      s3SecretAccessKey: 'SK',
      azureContainer: 'c',
      azureConnectionString: 'UseDevelopmentStorage=true',
      gcsBucket: 'g',
      gcsPrefix: 'gp/',
      gcsProjectId: 'proj',
      gcsApiEndpoint: 'http://gcs.local',
      retentionDays: 9,
      keepLast: 2,
      gfs: { daily: 7, weekly: 4, monthly: 12 },
    });
  });

  it('loads database_config.example.yaml, with its production section', () => {
    const base = load({ file: EXAMPLE });
    expect(base.database.poolMinSize).toBe(5);
    expect(base.backup.storageType).toBe('s3');
    expect(base.backup.s3Bucket).toBe('voicehive-backups');
    expect(base.backup.s3Region).toBe('eu-west-1');
    expect(base.performance.snapshotIntervalMs).toBe(300_000);
    expect(base.capacity.xidAgeWarning).toBe(1_000_000_000);
    const prod = load({ file: EXAMPLE, environment: 'production' });
    expect(prod.database).toMatchObject({ poolMinSize: 10, poolMaxSize: 50, sslMode: 'verify-full' });
    expect(prod.performance).toMatchObject({ snapshotIntervalMs: 60_000, warningMs: 250, criticalMs: 750 });
  });

  it('still accepts the flat spellings, as the same settings', async () => {
    await yamlFile('database:\n  pool_min_size: 2\nbackup:\n  backup_type: physical\n  s3_bucket: x\n');
    const c = load();
    expect(c.database.poolMinSize).toBe(2);
    expect(c.backup.backupType).toBe('physical');
  });

  it('an environment section in the flat spelling overrides the nested base', async () => {
    await yamlFile(
      'database:\n  pool: { min_size: 2, max_size: 4 }\nenvironments:\n  ci:\n    database:\n      pool_max_size: 8\n',
    );
    expect(load({ environment: 'ci' }).database).toMatchObject({ poolMinSize: 2, poolMaxSize: 8 });
  });
});

describe('bad input in the nested layout', () => {
  it('refuses one setting given in both spellings in one file, naming both and the file', async () => {
    const path = await yamlFile('database:\n  pool: { min_size: 2 }\n  pool_min_size: 3\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('database.pool.min_size and database.pool_min_size are one setting given twice');
    expect(error.message).toContain(path);
  });

  it('reports a typo at any depth with its full path and the keys that exist there', async () => {
    await yamlFile(
      'performance:\n  monitoring:\n    thresholds: { warning_ms: 1, critcal_ms: 2 }\nbackup:\n  storage:\n    s3: { buckt: x }\n',
    );
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(
      'performance.monitoring.thresholds.critcal_ms: unknown key (check its spelling; performance.monitoring.thresholds takes warning_ms, critical_ms)',
    );
    expect(error.message).toContain('backup.storage.s3.buckt: unknown key');
  });

  it('reports a scalar where the original has a mapping, and a bad interval, without the value', async () => {
    await yamlFile('database:\n  pool: 5\nperformance:\n  monitoring: { interval: soon-ish }\n');
    const error = failure(() => load());
    expect(error.message).toContain('database.pool: expected a mapping (min_size, max_size)');
    expect(error.message).toContain('performance.monitoring.interval: expected integer (seconds)');
    expect(error.message).not.toContain('soon-ish');
  });

  it('a typo inside a model section is still caught by the schema, with the file key', async () => {
    await yamlFile('capacity:\n  xid_age_warnin: 5\n');
    const error = failure(() => load());
    expect(error.message).toContain('capacity.xidAgeWarnin: unknown key');
  });
});

describe('validateConfig (configuration in code)', () => {
  it('accepts the model spelling and the nested layout alike', () => {
    expect(validateConfig({ database: { poolMaxSize: 7 } }).database.poolMaxSize).toBe(7);
    expect(validateConfig({ database: { pool: { maxSize: 7 } } }).database.poolMaxSize).toBe(7);
  });

  it('passes a loadConfig result through unchanged', () => {
    const loaded = load({ overrides: { backup: { keepLast: 3 } } });
    expect(validateConfig(loaded)).toEqual(loaded);
  });

  it('refuses a nested typo with its path', () => {
    const error = failure(() => validateConfig({ backup: { gfs: { dayly: 3 } } }));
    expect(error.message).toContain('backup.gfs.dayly: unknown key');
  });
});
