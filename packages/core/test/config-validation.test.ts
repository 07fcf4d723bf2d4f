// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test uses ${VAR} syntax.
import { describe, expect, it } from 'vitest';
import type { LoadConfigOptions } from '../src/config/load-config.js';
import { configSchema } from '../src/config/schema.js';
import { failure, useConfigDir } from './config-dir.js';

const { yamlFile, load } = useConfigDir();

describe('defaults', () => {
  it('are the documented ones', () => {
    const config = load({ file: false });
    expect(config.database).toEqual({
      host: 'localhost',
      port: 5432,
      name: 'postgres',
      user: 'postgres',
      poolMinSize: 5,
      poolMaxSize: 20,
      connectionTimeoutMs: 10_000,
      applicationName: 'voicehive-dbrs',
      stateSchema: 'dbrs',
    });
    expect(config.backup).toMatchObject({
      enabled: true,
      backupType: 'logical',
      storageType: 'local',
      localPath: './backups',
      s3Region: 'us-east-1',
      retentionDays: 30,
      keepLast: 7,
      schedule: '0 2 * * *',
      verifySchedule: '0 4 * * *',
      compression: 'zstd',
      encryptionRecipients: [],
      decryptionKeys: [],
      jobs: 1,
    });
    // Left unset on purpose: the backup package turns encryption on when a key exists.
    expect(config.backup.encryptionEnabled).toBeUndefined();
    expect(config.pgbouncer).toMatchObject({ enabled: false, port: 6432, poolMode: 'transaction' });
    expect(config.migrations).toMatchObject({
      tableName: 'dbrs_migrations',
      lockTimeoutMs: 5000,
      statementTimeoutMs: 0,
    });
    expect(config.capacity).toMatchObject({ warningPercent: 80, criticalPercent: 90, xidAgeWarning: 1_000_000_000 });
    expect(config.metrics).toEqual({ enabled: true, port: 9090, prefix: 'voicehive_' });
    expect(config.server).toEqual({
      port: 8080,
      host: '0.0.0.0',
      viewerApiKeys: [],
      metricsRequireApiKey: false,
      trustProxy: 0,
    });
    expect(config.logging).toEqual({ level: 'info', format: 'json' });
    expect(config.audit).toEqual({ enabled: true, table: 'dbrs_audit_log' });
    expect(config.environment).toBe('default');
  });

  it('come from the schema alone', () => {
    expect(configSchema.parse({})).toEqual(load({ file: false }));
  });
});

describe('snake_case keys', () => {
  it('map to camelCase at every depth, and camelCase is accepted too', async () => {
    await yamlFile(
      [
        'database:',
        '  pool_min_size: 3',
        '  poolMaxSize: 12',
        '  statement_timeout_ms: 15000',
        'performance:',
        '  index_advisor:',
        '    max_index_size_bytes: 1048576',
        '    min_table_rows: 10',
        'backup:',
        '  s3_force_path_style: true',
        '  decryption_keys: [AGE-SECRET-KEY-1ABC]',
        'capacity:',
        '  xid_age_warning: 500000000',
        'server:',
        '  metrics_require_api_key: false',
        '',
      ].join('\n'),
    );
    const config = load();
    expect(config.database).toMatchObject({ poolMinSize: 3, poolMaxSize: 12, statementTimeoutMs: 15000 });
    expect(config.performance.indexAdvisor).toMatchObject({ maxIndexSizeBytes: 1_048_576, minTableRows: 10 });
    expect(config.backup.s3ForcePathStyle).toBe(true);
    expect(config.backup.decryptionKeys).toEqual(['AGE-SECRET-KEY-1ABC']);
    expect(config.capacity.xidAgeWarning).toBe(500_000_000);
    expect(Object.keys(config.database)).not.toContain('pool_min_size');
  });

  it('are accepted in overrides', () => {
    const overrides = { database: { pool_max_size: 42 } } as unknown as LoadConfigOptions['overrides'];
    expect(load({ file: false, overrides }).database.poolMaxSize).toBe(42);
  });

  it('refuses the same key spelled both ways', async () => {
    await yamlFile('database:\n  pool_min_size: 1\n  poolMinSize: 2\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('database.poolMinSize is given twice');
  });

  it('reports unknown keys (typos) with their path', async () => {
    await yamlFile('database:\n  pool_min_sise: 1\ndatabse:\n  host: x\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('database.poolMinSise: unknown key');
    expect(error.message).toContain('databse: unknown key');
  });
});

describe('wrong types', () => {
  const SECRET = 'hunter2-Sup3r$ecret!';

  it('give the path, the received type and the expected type, never the value', async () => {
    // A password pasted into the wrong field: the message must not repeat it.
    await yamlFile(`database:\n  pool_min_size: "${SECRET}"\n`);
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('database.poolMinSize: expected integer, got string');
    expect(error.message).toContain('database.pool_min_size');
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error.details)).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it('never print a secret that arrived through an environment variable either', () => {
    const error = failure(() => load({ env: { PGBOUNCER_POOL_MODE: SECRET } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('pgbouncer.poolMode');
    expect(error.message).toContain('PGBOUNCER_POOL_MODE');
    expect(error.message).not.toContain(SECRET);
  });

  it('are all reported together', async () => {
    await yamlFile(
      [
        'database:',
        '  port: 70000',
        '  host: ""',
        'pgbouncer:',
        '  enabled: maybe',
        'backup:',
        '  compression: lz4',
        '  jobs: 1.5',
        'performance:',
        '  index_advisor: []',
        'server:',
        '  host: 8080',
        '',
      ].join('\n'),
    );
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('(7 problems)');
    expect(error.message).toContain('database.port: expected a number at most 65535, got a larger one');
    expect(error.message).toContain('database.host: expected a non-empty string, got an empty one');
    expect(error.message).toContain('pgbouncer.enabled: expected boolean (true/false, yes/no or 1/0), got string');
    expect(error.message).toContain('backup.compression: expected one of "zstd", "gzip", "none", got another string');
    expect(error.message).toContain('backup.jobs: expected integer, got number');
    expect(error.message).toContain('performance.indexAdvisor: expected a mapping, got list');
    expect(error.message).toContain('server.host: expected string, got integer (quote it in YAML to keep it text)');
    expect(error.details['issues']).toHaveLength(7);
  });

  it('name the overrides as the source of a bad override', () => {
    const overrides = { metrics: { port: 'nine' } } as unknown as LoadConfigOptions['overrides'];
    const error = failure(() => load({ file: false, overrides }));
    expect(error.message).toContain('metrics.port: expected integer, got string (from overrides)');
  });

  it('accept the text forms of numbers and booleans that ${VAR} substitution produces', async () => {
    await yamlFile('metrics:\n  port: "9191"\n  enabled: "no"\n');
    expect(load().metrics).toMatchObject({ port: 9191, enabled: false });
  });
});

describe('cross-field rules', () => {
  it('requires s3Bucket for s3 storage', () => {
    const error = failure(() => load({ env: { BACKUP_STORAGE_TYPE: 's3' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('backup.s3Bucket: is required when backup.storageType is "s3"');
    expect(error.message).toContain('BACKUP_S3_BUCKET');
    expect(load({ env: { BACKUP_STORAGE_TYPE: 's3', BACKUP_S3_BUCKET: 'b' } }).backup.s3Bucket).toBe('b');
  });

  it('requires container and connection string for azure, both reported', () => {
    const error = failure(() => load({ env: { BACKUP_STORAGE_TYPE: 'azure' } }));
    expect(error.message).toContain('backup.azureContainer: is required');
    expect(error.message).toContain('backup.azureConnectionString: is required');
    const config = load({
      env: {
        BACKUP_STORAGE_TYPE: 'azure',
        BACKUP_AZURE_CONTAINER: 'c',
        BACKUP_AZURE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      },
    });
    expect(config.backup.azureContainer).toBe('c');
  });

  it('requires gcsBucket for gcs storage', () => {
    const error = failure(() => load({ env: { BACKUP_STORAGE_TYPE: 'gcs' } }));
    expect(error.message).toContain('backup.gcsBucket: is required when backup.storageType is "gcs"');
  });

  it('does not check storage settings of a switched-off backup', () => {
    expect(load({ env: { BACKUP_STORAGE_TYPE: 's3', BACKUP_ENABLED: 'false' } }).backup.enabled).toBe(false);
  });

  it('rejects encryption switched on without a key or recipients', () => {
    const error = failure(() => load({ env: { BACKUP_ENCRYPTION_ENABLED: 'true' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('backup.encryptionKey:');
    expect(error.message).toContain('BACKUP_ENCRYPTION_KEY');
    expect(error.message).toContain('BACKUP_ENCRYPTION_RECIPIENTS');
    expect(
      load({ env: { BACKUP_ENCRYPTION_ENABLED: 'true', BACKUP_ENCRYPTION_RECIPIENTS: 'age1abc' } }).backup
        .encryptionRecipients,
    ).toEqual(['age1abc']);
    expect(
      load({ env: { BACKUP_ENCRYPTION_ENABLED: 'true', BACKUP_ENCRYPTION_KEY: 'passphrase' } }).backup.encryptionKey,
    ).toBe('passphrase');
  });

  it('requires poolMinSize <= poolMaxSize', () => {
    const error = failure(() => load({ env: { DB_POOL_MIN_SIZE: '30' } }));
    expect(error.message).toContain(
      'database.poolMinSize: must not be greater than database.poolMaxSize (from environment variable DB_POOL_MIN_SIZE)',
    );
  });

  it('bounds poolMaxSize (a typo like 2^53 − 1 would have been accepted) and state schema names', () => {
    const error = failure(() => load({ env: { DB_POOL_MAX_SIZE: String(2 ** 53 - 1) } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/database\.poolMaxSize: .*1000.* \(from environment variable DB_POOL_MAX_SIZE\)/);
    expect(load({ env: { DB_POOL_MAX_SIZE: '1000' } }).database.poolMaxSize).toBe(1000);
    const long = failure(() => load({ env: { DB_STATE_SCHEMA: 'x'.repeat(64) } }));
    expect(long.message).toContain('database.stateSchema: must be a PostgreSQL name of at most 63 bytes');
    expect(load({ env: { DB_STATE_SCHEMA: 'ops' } }).database.stateSchema).toBe('ops');
  });

  it('requires a CA file for verify-ca and verify-full', () => {
    for (const mode of ['verify-ca', 'verify-full']) {
      const error = failure(() => load({ env: { DB_SSL_MODE: mode } }));
      expect(error.message).toContain(`database.sslCaFile: is required when database.sslMode is "${mode}"`);
    }
    expect(load({ env: { DB_SSL_MODE: 'verify-full', DB_SSL_CA_FILE: '/ca.pem' } }).database.sslCaFile).toBe('/ca.pem');
  });

  it('rejects an invalid cron schedule', () => {
    const error = failure(() => load({ env: { BACKUP_SCHEDULE: '61 * * * *' } }));
    expect(error.message).toContain('backup.schedule: is not a valid cron expression');
  });

  it('requires an API key when /metrics must be protected', () => {
    const overrides = { server: { metricsRequireApiKey: true } };
    expect(failure(() => load({ file: false, overrides })).message).toContain('server.apiKey: is required');
  });

  it('takes viewer keys from DBRS_VIEWER_API_KEYS, and only beside an operator key', () => {
    const error = failure(() => load({ file: false, env: { DBRS_VIEWER_API_KEYS: 'v1,v2' } }));
    expect(error.message).toContain('server.viewerApiKeys: need server.apiKey (the operator key) as well');
    expect(error.message).not.toContain('v1');
    const config = load({ file: false, env: { DBRS_API_KEY: 'op', DBRS_VIEWER_API_KEYS: 'v1, v2' } });
    expect(config.server.viewerApiKeys).toEqual(['v1', 'v2']);
  });
});

describe('log level', () => {
  it('accepts the original Python level names', () => {
    expect(load({ env: { LOG_LEVEL: 'CRITICAL' } }).logging.level).toBe('fatal');
    expect(load({ env: { LOG_LEVEL: 'Debug' } }).logging.level).toBe('debug');
    expect(failure(() => load({ env: { LOG_LEVEL: 'loud' } })).message).toContain('logging.level');
  });
});

describe('the result', () => {
  it('is deeply frozen: assignment throws in strict mode', () => {
    const config = load({ file: false });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { environment: string }).environment = 'x';
    }).toThrow(TypeError);
    expect(() => {
      (config.database as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.performance.indexAdvisor as { maxIndexes: number }).maxIndexes = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.backup.encryptionRecipients as string[]).push('age1x');
    }).toThrow(TypeError);
    expect(config.database.port).toBe(5432);
  });

  it("is a fresh object each time, so one caller cannot see another caller's file", async () => {
    await yamlFile('database:\n  host: a\n');
    const first = load();
    await yamlFile('database:\n  host: b\n');
    expect(load().database.host).toBe('b');
    expect(first.database.host).toBe('a');
  });
});

describe('migrations.lint', () => {
  it('defaults to no rule selection and no naming pattern', () => {
    expect(load({ file: false }).migrations.lint).toEqual({ enabledRules: [], disabledRules: [] });
  });

  it('reads rule lists (YAML lists or comma text) and the naming pattern, in snake_case too', async () => {
    await yamlFile(
      [
        'migrations:',
        '  lint:',
        '    enabled_rules: [require-table-schema]',
        '    disabled_rules: "ban-drop-column, prefer-robust-stmts"',
        "    naming_pattern: '[a-z][A-Za-z0-9]*'",
        '',
      ].join('\n'),
    );
    expect(load().migrations.lint).toEqual({
      enabledRules: ['require-table-schema'],
      disabledRules: ['ban-drop-column', 'prefer-robust-stmts'],
      namingPattern: '[a-z][A-Za-z0-9]*',
    });
  });

  it('refuses unknown keys and wrong types with their path', async () => {
    await yamlFile('migrations:\n  lint:\n    disable_rule: [x]\n    naming_pattern: ""\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('migrations.lint.disableRule: unknown key');
    expect(error.message).toContain('migrations.lint.namingPattern: expected a non-empty string');
  });
});

describe('server.trustProxy', () => {
  it('defaults to 0 (X-Forwarded-For ignored) and reads DBRS_TRUST_PROXY as a number of proxies', () => {
    expect(load({ file: false }).server.trustProxy).toBe(0);
    expect(load({ file: false, env: { DBRS_TRUST_PROXY: '1' } }).server.trustProxy).toBe(1);
  });

  it('refuses a value that is not a whole number of proxies, naming the variable or the key', async () => {
    expect(failure(() => load({ file: false, env: { DBRS_TRUST_PROXY: 'yes' } })).message).toContain(
      'DBRS_TRUST_PROXY: expected an integer',
    );
    await yamlFile('server:\n  trust_proxy: -1\n');
    expect(failure(() => load()).message).toContain('server.trustProxy');
  });
});
