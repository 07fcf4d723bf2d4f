// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test uses ${VAR} syntax.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { failure, useConfigDir } from './config-dir.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'config');

const tmp = useConfigDir();
const { yamlFile, load } = tmp;

describe('layer precedence', () => {
  const yaml = `
database:
  host: file-host
  port: 6000
  name: file-db
environments:
  staging:
    database:
      host: section-host
      name: section-db
`;

  it('applies defaults, file, environment section, env vars and overrides, each winning over the last', async () => {
    await yamlFile(yaml);
    // 1. defaults only (no file)
    expect(load({ file: false }).database.host).toBe('localhost');
    // 2. file beats defaults
    expect(load().database.host).toBe('file-host');
    // 3. environment section beats the file
    expect(load({ environment: 'staging' }).database.host).toBe('section-host');
    // 4. environment variables beat the section
    expect(load({ environment: 'staging', env: { DB_HOST: 'env-host' } }).database.host).toBe('env-host');
    // 5. overrides beat environment variables
    const all = load({
      environment: 'staging',
      env: { DB_HOST: 'env-host' },
      overrides: { database: { host: 'override-host' } },
    });
    expect(all.database.host).toBe('override-host');
  });

  it('merges key by key, so each layer keeps what later layers do not set', async () => {
    await yamlFile(yaml);
    const config = load({
      environment: 'staging',
      env: { DB_USER: 'env-user' },
      overrides: { database: { poolMaxSize: 33 } },
    });
    expect(config.database).toMatchObject({
      host: 'section-host', // section
      name: 'section-db', // section
      port: 6000, // file
      user: 'env-user', // env
      poolMaxSize: 33, // overrides
      poolMinSize: 5, // default
      applicationName: 'voicehive-dbrs', // default
    });
    expect(config.environment).toBe('staging');
  });

  it('lets null in a later layer put a key back to its default', async () => {
    await yamlFile('database:\n  port: 6000\nenvironments:\n  dev:\n    database:\n      port: ~\n');
    expect(load().database.port).toBe(6000);
    expect(load({ environment: 'dev' }).database.port).toBe(5432);
  });

  it('replaces lists instead of merging them element by element', async () => {
    await yamlFile('backup:\n  encryption_recipients: [age1aaa, age1bbb]\n');
    const config = load({ overrides: { backup: { encryptionRecipients: ['age1ccc'] } } });
    expect(config.backup.encryptionRecipients).toEqual(['age1ccc']);
  });

  it('ignores undefined fields in overrides', async () => {
    await yamlFile('database:\n  host: file-host\n');
    expect(load({ overrides: { database: { host: undefined } } }).database.host).toBe('file-host');
  });
});

describe('choosing the file', () => {
  it('reads database_config.yaml from cwd and tolerates its absence', async () => {
    expect(load().database.host).toBe('localhost');
    await yamlFile('database:\n  host: default-file\n');
    expect(load().database.host).toBe('default-file');
  });

  it('prefers the file option over DBRS_CONFIG over the default file', async () => {
    await yamlFile('database:\n  host: default-file\n');
    await yamlFile('database:\n  host: from-dbrs-config\n', 'env.yaml');
    await yamlFile('database:\n  host: from-option\n', 'option.yaml');
    expect(load({ env: { DBRS_CONFIG: 'env.yaml' } }).database.host).toBe('from-dbrs-config');
    expect(load({ file: 'option.yaml', env: { DBRS_CONFIG: 'env.yaml' } }).database.host).toBe('from-option');
  });

  it('fails with CONFIG_FILE_NOT_FOUND for a named file that does not exist', () => {
    const fromOption = failure(() => load({ file: 'missing.yaml' }));
    expect(fromOption.code).toBe('CONFIG_FILE_NOT_FOUND');
    expect(fromOption.message).toContain(join(tmp.dir, 'missing.yaml'));
    expect(failure(() => load({ env: { DBRS_CONFIG: 'gone.yaml' } })).code).toBe('CONFIG_FILE_NOT_FOUND');
  });

  it('loads the original-style fixture for production', () => {
    const config = loadConfig({
      file: join(FIXTURES, 'database_config.yaml'),
      env: {
        DBRS_ENV: 'production',
        DB_PASSWORD: 'prod-pw',
        DBRS_API_KEY: 'key-123',
        BACKUP_ENCRYPTION_RECIPIENTS: 'age1one, age1two',
      },
    });
    expect(config.environment).toBe('production');
    expect(config.database).toMatchObject({
      host: 'db.prod.internal',
      port: 5432,
      password: 'prod-pw',
      sslMode: 'verify-full',
      poolMaxSize: 50,
      statementTimeoutMs: 30000,
    });
    expect(config.performance.indexAdvisor).toEqual({ enabled: true, maxIndexes: 3, minTableRows: 5000 });
    expect(config.backup).toMatchObject({
      storageType: 's3',
      s3Bucket: 'voicehive-prod-backups',
      encryptionEnabled: true,
      encryptionRecipients: ['age1one', 'age1two'],
      gfs: { daily: 7, weekly: 4, monthly: 12 },
    });
    expect(config.server).toMatchObject({ apiKey: 'key-123', metricsRequireApiKey: true, trustProxy: 0 });
    expect(config.logging.level).toBe('info');
  });

  it('loads the fixture for development without the production secrets', () => {
    const config = loadConfig({ file: join(FIXTURES, 'database_config.yaml'), env: { NODE_ENV: 'development' } });
    expect(config.database.password).toBe('dev-password');
    expect(config.backup.enabled).toBe(false);
    expect(config.logging.level).toBe('debug');
  });
});

describe('choosing the environment', () => {
  const yaml =
    'environments:\n  staging:\n    database:\n      host: staging\n  production:\n    database:\n      host: prod\n';

  it('takes the option, else DBRS_ENV, else NODE_ENV', async () => {
    await yamlFile(yaml);
    const env = { DBRS_ENV: 'production', NODE_ENV: 'staging' };
    expect(load({ environment: 'staging', env }).database.host).toBe('staging');
    expect(load({ env }).database.host).toBe('prod');
    expect(load({ env: { NODE_ENV: 'staging' } }).database.host).toBe('staging');
    expect(load().environment).toBe('default');
  });

  it('rejects an explicitly named environment without a section, listing the known ones', async () => {
    await yamlFile(yaml);
    for (const options of [{ environment: 'prod' }, { env: { DBRS_ENV: 'prod' } }]) {
      const error = failure(() => load(options));
      expect(error.code).toBe('CONFIG_UNKNOWN_ENVIRONMENT');
      expect(error.message).toContain('"prod"');
      expect(error.message).toContain('staging, production');
      expect(error.details['known']).toEqual(['staging', 'production']);
    }
  });

  it('accepts a NODE_ENV without a section, since NODE_ENV is generic', async () => {
    await yamlFile(yaml);
    const config = load({ env: { NODE_ENV: 'test' } });
    expect(config.environment).toBe('test');
    expect(config.database.host).toBe('localhost');
  });

  it('accepts any name when the file has no environments map', async () => {
    await yamlFile('database:\n  host: flat\n');
    expect(load({ environment: 'anything' }).environment).toBe('anything');
  });

  it('refuses "environment" set by a layer, which would contradict the section applied', async () => {
    await yamlFile('environment: production\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('"environment" cannot be set');
  });
});

describe('${VAR} substitution', () => {
  it('substitutes ${VAR} and ${VAR:-default}, and coerces the text by the field type', async () => {
    await yamlFile(
      [
        'database:',
        '  host: ${PGHOST_X}',
        '  port: ${PGPORT_X:-5544}',
        '  name: db_${SUFFIX:-main}_v${VERSION}',
        'backup:',
        '  enabled: ${BACKUP_ON:-yes}',
        '  encryption_recipients: ${RECIPIENTS:-age1a,age1b}',
        '',
      ].join('\n'),
    );
    const config = load({ env: { PGHOST_X: 'sub-host', VERSION: '2' } });
    expect(config.database.host).toBe('sub-host');
    expect(config.database.port).toBe(5544);
    expect(config.database.name).toBe('db_main_v2');
    expect(config.backup.enabled).toBe(true);
    expect(config.backup.encryptionRecipients).toEqual(['age1a', 'age1b']);
  });

  it('uses the default for an empty variable, keeps "$$" in plain text and reads "$${" as a literal "${"', async () => {
    await yamlFile('database:\n  port: ${P:-7000}\n  password: pa$$w0rd-$${NOT_A_VAR}\n');
    const config = load({ env: { P: '' } });
    expect(config.database.port).toBe(7000);
    expect(config.database.password).toBe('pa$$w0rd-${NOT_A_VAR}');
  });

  it('keeps a digits-only value a string in a string field', async () => {
    await yamlFile('database:\n  password: ${PW}\n');
    expect(load({ env: { PW: '0123' } }).database.password).toBe('0123');
  });

  it('fails with CONFIG_VARIABLE_UNSET naming the variable, its YAML path and line', async () => {
    await yamlFile('database:\n  host: db\n  password: ${DB_SECRET_PW}\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_VARIABLE_UNSET');
    expect(error.message).toContain('DB_SECRET_PW');
    expect(error.message).toContain('database.password');
    expect(error.message).toContain('line 3');
    expect(error.details).toMatchObject({ variable: 'DB_SECRET_PW', path: 'database.password' });
  });

  it('reports every unset variable at once', async () => {
    await yamlFile('database:\n  host: ${A_HOST}\n  user: ${A_USER}\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_VARIABLE_UNSET');
    expect(error.message).toContain('A_HOST');
    expect(error.message).toContain('A_USER');
  });

  it('only substitutes the chosen environment section', async () => {
    await yamlFile(
      'environments:\n  dev:\n    database:\n      host: dev\n  production:\n    database:\n      password: ${PROD_ONLY}\n',
    );
    expect(load({ environment: 'dev' }).database.host).toBe('dev');
    const error = failure(() => load({ environment: 'production' }));
    expect(error.code).toBe('CONFIG_VARIABLE_UNSET');
    expect(error.message).toContain('environments.production.database.password');
  });

  it('rejects a malformed expression without quoting the text', async () => {
    await yamlFile('database:\n  password: "s3cr3t-${oops"\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.message).toContain('database.password');
    expect(error.message).toContain('line 2');
    expect(error.message).not.toContain('s3cr3t');
  });
});

describe('YAML anchors across sections', () => {
  it('merges an anchored mapping into an environment section', async () => {
    await yamlFile(
      'database: &base\n  host: ${BASE_HOST:-base}\n  port: 6001\nenvironments:\n  dev:\n    database:\n      <<: *base\n      name: dev\n',
    );
    const config = load({ environment: 'dev', env: { BASE_HOST: 'anchored' } });
    expect(config.database).toMatchObject({ host: 'anchored', port: 6001, name: 'dev' });
  });
});

describe('_FILE secrets', () => {
  it('reads <NAME>_FILE, dropping the trailing newline, for the env layer and for ${NAME}', async () => {
    const secret = join(tmp.dir, 'db-password');
    await writeFile(secret, 'p@ss word\n');
    const keyFile = join(tmp.dir, 'backup-key');
    await writeFile(keyFile, 'correct horse battery staple\r\n');
    await yamlFile('pgbouncer:\n  admin_password: ${DB_PASSWORD}\n');
    const config = load({ env: { DB_PASSWORD_FILE: secret, BACKUP_ENCRYPTION_KEY_FILE: 'backup-key' } });
    expect(config.database.password).toBe('p@ss word');
    expect(config.pgbouncer.adminPassword).toBe('p@ss word');
    expect(config.backup.encryptionKey).toBe('correct horse battery staple');
  });

  it('fails with CONFIG_INVALID naming the variable when the file cannot be read', async () => {
    const error = failure(() => load({ env: { DB_PASSWORD_FILE: join(tmp.dir, 'no-such-secret') } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('DB_PASSWORD_FILE');
    expect(error.message).toContain('ENOENT');
  });

  it('never puts the contents of a secret file into an error', async () => {
    const secret = join(tmp.dir, 'port');
    await writeFile(secret, 'Tr0ub4dor&3\n');
    const error = failure(() => load({ env: { DB_PORT_FILE: secret } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('DB_PORT_FILE');
    expect(error.message).not.toContain('Tr0ub4dor');
  });

  it('refuses both NAME and NAME_FILE', async () => {
    const secret = join(tmp.dir, 'pw');
    await writeFile(secret, 'x');
    const error = failure(() => load({ env: { DB_PASSWORD: 'y', DB_PASSWORD_FILE: secret } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('both DB_PASSWORD and DB_PASSWORD_FILE');
  });
});

describe('environment variables', () => {
  it('maps the original names and coerces integers, booleans and lists', () => {
    const config = load({
      env: {
        DATABASE_URL: 'postgres://u@h/d',
        DB_POOL_MIN_SIZE: '2',
        DB_POOL_MAX_SIZE: '9',
        PGBOUNCER_ENABLED: 'YES',
        PGBOUNCER_POOL_MODE: 'session',
        BACKUP_ENABLED: '0',
        BACKUP_STORAGE_TYPE: 'gcs',
        BACKUP_GCS_BUCKET: 'b',
        BACKUP_ENCRYPTION_RECIPIENTS: 'age1x, ,age1y,',
        PERFORMANCE_ENABLED: 'false',
        SLOW_QUERY_THRESHOLD_MS: '250',
        PROMETHEUS_PORT: '9400',
        METRICS_PREFIX: 'acme_',
        HEALTH_PORT: '0',
        LOG_LEVEL: 'WARNING',
      },
    });
    expect(config.database).toMatchObject({ url: 'postgres://u@h/d', poolMinSize: 2, poolMaxSize: 9 });
    expect(config.pgbouncer).toMatchObject({ enabled: true, poolMode: 'session' });
    expect(config.backup).toMatchObject({ enabled: false, storageType: 'gcs', gcsBucket: 'b' });
    expect(config.backup.encryptionRecipients).toEqual(['age1x', 'age1y']);
    expect(config.performance).toMatchObject({ enabled: false, slowQueryThresholdMs: 250 });
    expect(config.metrics).toMatchObject({ port: 9400, prefix: 'acme_' });
    expect(config.server.port).toBe(0);
    expect(config.logging.level).toBe('warn');
  });

  it('reads process.env when no env is given', () => {
    // A variable the loader reads, set only for this test and restored after it.
    const previous = process.env['PROMETHEUS_PORT'];
    process.env['PROMETHEUS_PORT'] = '9555';
    try {
      expect(loadConfig({ cwd: tmp.dir, file: false }).metrics.port).toBe(9555);
    } finally {
      if (previous === undefined) delete process.env['PROMETHEUS_PORT'];
      else process.env['PROMETHEUS_PORT'] = previous;
    }
  });

  it('treats an empty variable as unset', () => {
    expect(load({ env: { DB_PORT: '', DB_HOST: '' } }).database).toMatchObject({ port: 5432, host: 'localhost' });
  });

  it('fails on a boolean it cannot read, naming the variable, and reports every bad variable', () => {
    const error = failure(() => load({ env: { PGBOUNCER_ENABLED: 'enabled', DB_PORT: '54x2' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('PGBOUNCER_ENABLED: expected a boolean');
    expect(error.message).toContain('DB_PORT: expected an integer');
    expect(error.message).not.toContain('54x2');
  });

  it('says which variable set a value the schema rejects', () => {
    const error = failure(() => load({ env: { DB_SSL_MODE: 'prefer' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('database.sslMode');
    expect(error.message).toContain('environment variable DB_SSL_MODE');
    expect(error.message).toContain('"verify-full"');
  });
});

describe('malformed YAML', () => {
  it('fails with CONFIG_PARSE giving line and column', async () => {
    await yamlFile('database:\n  host: a\n\tport: 5432\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.message).toContain('at line 3, column 1');
    expect(error.message).toContain('Tabs are not allowed');
    expect(error.details).toMatchObject({ file: join(tmp.dir, 'database_config.yaml') });
    expect(error.details).toMatchObject({ line: 3, column: 1 });
  });

  it('points at the exact spot and does not quote the line (it may hold a secret)', async () => {
    await yamlFile('database:\n  host: a\n  password: hunter2-Sup3rSecret: x\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.details).toMatchObject({ line: 3, column: 13 });
    expect(error.message).toContain('at line 3, column 13');
    expect(error.message).not.toContain('hunter2');
  });

  it('rejects duplicate keys and unknown tags instead of guessing', async () => {
    await yamlFile('database:\n  host: a\n  host: b\n');
    const duplicate = failure(() => load());
    expect(duplicate.code).toBe('CONFIG_PARSE');
    expect(duplicate.message).toContain('line 3, column 3');
    await yamlFile('database:\n  password: !vault secret/db\n');
    expect(failure(() => load()).code).toBe('CONFIG_PARSE');
  });

  it('rejects an alias to a missing anchor', async () => {
    await yamlFile('database:\n  host: *nowhere\n');
    const error = failure(() => load());
    expect(error.code).toBe('CONFIG_PARSE');
    expect(error.message).toContain('nowhere');
  });

  it('rejects a file that is not a mapping', async () => {
    await yamlFile('- database\n- backup\n');
    expect(failure(() => load()).code).toBe('CONFIG_INVALID');
  });

  it('treats an empty file as no settings', async () => {
    await yamlFile('# nothing yet\n');
    expect(load().database.port).toBe(5432);
  });
});
