import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DbrsError } from '../errors.js';
import { BOOLEAN_WORDS, parseBooleanText, parseIntegerText, parseListText } from './coerce.js';
import type { PlainObject } from './plain-object.js';

/** Environment variables as `process.env` holds them. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

type EnvKind = 'string' | 'integer' | 'boolean' | 'list';

export interface EnvBinding {
  /** Variable name, as in the original system. */
  readonly name: string;
  /** Section and key in the camelCase config. */
  readonly path: readonly [string, string];
  readonly kind: EnvKind;
}

const bind = (name: string, section: string, key: string, kind: EnvKind = 'string'): EnvBinding => ({
  name,
  path: [section, key],
  kind,
});

/** Every variable the environment layer reads. Each also accepts `<NAME>_FILE`. */
export const ENV_BINDINGS: readonly EnvBinding[] = [
  bind('DB_HOST', 'database', 'host'),
  bind('DB_PORT', 'database', 'port', 'integer'),
  bind('DB_NAME', 'database', 'name'),
  bind('DB_USER', 'database', 'user'),
  bind('DB_PASSWORD', 'database', 'password'),
  bind('DB_SSL_MODE', 'database', 'sslMode'),
  bind('DB_SSL_CA_FILE', 'database', 'sslCaFile'),
  bind('DB_SSL_CERT_FILE', 'database', 'sslCertFile'),
  bind('DB_SSL_KEY_FILE', 'database', 'sslKeyFile'),
  bind('DATABASE_URL', 'database', 'url'),
  bind('DB_POOL_MIN_SIZE', 'database', 'poolMinSize', 'integer'),
  bind('DB_POOL_MAX_SIZE', 'database', 'poolMaxSize', 'integer'),
  bind('DB_STATEMENT_TIMEOUT_MS', 'database', 'statementTimeoutMs', 'integer'),
  bind('DB_STATE_SCHEMA', 'database', 'stateSchema'),

  bind('PGBOUNCER_ENABLED', 'pgbouncer', 'enabled', 'boolean'),
  bind('PGBOUNCER_HOST', 'pgbouncer', 'host'),
  bind('PGBOUNCER_PORT', 'pgbouncer', 'port', 'integer'),
  bind('PGBOUNCER_POOL_MODE', 'pgbouncer', 'poolMode'),
  bind('PGBOUNCER_MAX_CLIENT_CONN', 'pgbouncer', 'maxClientConn', 'integer'),
  bind('PGBOUNCER_DEFAULT_POOL_SIZE', 'pgbouncer', 'defaultPoolSize', 'integer'),
  bind('PGBOUNCER_ADMIN_USER', 'pgbouncer', 'adminUser'),
  bind('PGBOUNCER_ADMIN_PASSWORD', 'pgbouncer', 'adminPassword'),
  bind('PGBOUNCER_CONFIG_PATH', 'pgbouncer', 'configPath'),
  bind('PGBOUNCER_BINARY', 'pgbouncer', 'binary'),
  bind('PGBOUNCER_SSL_MODE', 'pgbouncer', 'sslMode'),

  bind('BACKUP_ENABLED', 'backup', 'enabled', 'boolean'),
  bind('BACKUP_TYPE', 'backup', 'backupType'),
  bind('BACKUP_STORAGE_TYPE', 'backup', 'storageType'),
  bind('BACKUP_LOCAL_PATH', 'backup', 'localPath'),
  bind('BACKUP_S3_BUCKET', 'backup', 's3Bucket'),
  bind('BACKUP_S3_REGION', 'backup', 's3Region'),
  bind('BACKUP_S3_ENDPOINT', 'backup', 's3Endpoint'),
  bind('BACKUP_S3_PREFIX', 'backup', 's3Prefix'),
  bind('BACKUP_S3_FORCE_PATH_STYLE', 'backup', 's3ForcePathStyle', 'boolean'),
  bind('BACKUP_S3_ACCESS_KEY_ID', 'backup', 's3AccessKeyId'),
  bind('BACKUP_S3_SECRET_ACCESS_KEY', 'backup', 's3SecretAccessKey'),
  bind('BACKUP_AZURE_CONTAINER', 'backup', 'azureContainer'),
  bind('BACKUP_AZURE_CONNECTION_STRING', 'backup', 'azureConnectionString'),
  bind('BACKUP_GCS_BUCKET', 'backup', 'gcsBucket'),
  bind('BACKUP_GCS_PREFIX', 'backup', 'gcsPrefix'),
  bind('BACKUP_GCS_PROJECT_ID', 'backup', 'gcsProjectId'),
  bind('BACKUP_GCS_API_ENDPOINT', 'backup', 'gcsApiEndpoint'),
  bind('BACKUP_RETENTION_DAYS', 'backup', 'retentionDays', 'integer'),
  bind('BACKUP_KEEP_LAST', 'backup', 'keepLast', 'integer'),
  bind('BACKUP_SCHEDULE', 'backup', 'schedule'),
  bind('BACKUP_VERIFY_SCHEDULE', 'backup', 'verifySchedule'),
  bind('BACKUP_ENCRYPTION_ENABLED', 'backup', 'encryptionEnabled', 'boolean'),
  bind('BACKUP_ENCRYPTION_KEY', 'backup', 'encryptionKey'),
  bind('BACKUP_ENCRYPTION_RECIPIENTS', 'backup', 'encryptionRecipients', 'list'),
  bind('BACKUP_DECRYPTION_KEYS', 'backup', 'decryptionKeys', 'list'),
  bind('BACKUP_COMPRESSION', 'backup', 'compression'),
  bind('BACKUP_JOBS', 'backup', 'jobs', 'integer'),
  bind('BACKUP_INCREMENTAL_MAX_CHAIN', 'backup', 'incrementalMaxChain', 'integer'),
  bind('BACKUP_WAL_PUSH_ASYNC', 'backup', 'walPushAsync', 'boolean'),
  bind('BACKUP_WAL_SPOOL_PATH', 'backup', 'walSpoolPath'),
  bind('BACKUP_WAL_PUSH_TIMEOUT', 'backup', 'walPushTimeout', 'integer'),
  bind('BACKUP_WAL_PUSH_JOBS', 'backup', 'walPushJobs', 'integer'),

  bind('PERFORMANCE_ENABLED', 'performance', 'enabled', 'boolean'),
  bind('SLOW_QUERY_THRESHOLD_MS', 'performance', 'slowQueryThresholdMs', 'integer'),
  bind('MIGRATIONS_ENABLED', 'migrations', 'enabled', 'boolean'),
  bind('MIGRATIONS_DIR', 'migrations', 'migrationsDir'),
  bind('CAPACITY_ENABLED', 'capacity', 'enabled', 'boolean'),
  bind('PROMETHEUS_ENABLED', 'metrics', 'enabled', 'boolean'),
  bind('PROMETHEUS_PORT', 'metrics', 'port', 'integer'),
  bind('METRICS_PREFIX', 'metrics', 'prefix'),
  bind('HEALTH_PORT', 'server', 'port', 'integer'),
  bind('DBRS_API_KEY', 'server', 'apiKey'),
  bind('DBRS_VIEWER_API_KEYS', 'server', 'viewerApiKeys', 'list'),
  bind('DBRS_TRUST_PROXY', 'server', 'trustProxy', 'integer'),
  bind('LOG_LEVEL', 'logging', 'level'),
];

export interface ResolvedEnv {
  /** The environment with every `<NAME>_FILE` read into `<NAME>`. */
  env: EnvSource;
  /** Names whose value came from a file, to say so in error messages. */
  fromFile: ReadonlySet<string>;
}

/**
 * Reads `<NAME>_FILE` secrets (Docker and Kubernetes mount them as files)
 * for every bound variable. The result also feeds `${VAR}` substitution, so
 * `password: ${DB_PASSWORD}` works when only DB_PASSWORD_FILE is set.
 * Trailing newlines are dropped because editors and `echo` add them; other
 * whitespace is kept, since it may be part of a passphrase. Relative paths
 * are resolved against `cwd`.
 */
export function readFileSecrets(env: EnvSource, cwd: string): ResolvedEnv {
  const out: Record<string, string | undefined> = { ...env };
  const fromFile = new Set<string>();
  for (const { name } of ENV_BINDINGS) {
    const fileVar = `${name}_FILE`;
    const file = env[fileVar];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      throw new DbrsError('CONFIG_INVALID', `Invalid configuration: both ${name} and ${fileVar} are set.`, {
        details: { variables: [name, fileVar] },
        hint: 'Set only one of them.',
      });
    }
    const path = resolve(cwd, file);
    let contents: string;
    try {
      contents = readFileSync(path, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
      // The cause is left off: it is harmless here, but nothing read from a secret file belongs in an error.
      throw new DbrsError(
        'CONFIG_INVALID',
        `Invalid configuration: ${fileVar} names a file that cannot be read (${code}).`,
        {
          details: { variable: fileVar, file: path, errorCode: code },
          hint: `Check that ${path} exists and is readable by this process.`,
        },
      );
    }
    out[name] = contents.replace(/(?:\r?\n)+$/, '');
    fromFile.add(name);
  }
  return { env: out, fromFile };
}

export interface EnvLayer {
  data: PlainObject;
  /** Dotted config path → the variable that set it. */
  variables: Map<string, string>;
}

/**
 * The environment-variable layer. Empty variables count as unset: compose
 * files and manifests often declare `DB_PORT=` as a placeholder. Every
 * variable that cannot be read as its type is reported at once, by name,
 * without its value (it may be a secret in the wrong variable).
 */
export function configFromEnv({ env, fromFile }: ResolvedEnv): EnvLayer {
  const data: PlainObject = {};
  const variables = new Map<string, string>();
  const problems: Array<{ variable: string; expected: string }> = [];
  for (const { name, path, kind } of ENV_BINDINGS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const label = fromFile.has(name) ? `${name}_FILE` : name;
    let value: unknown;
    switch (kind) {
      case 'string':
        value = raw;
        break;
      case 'integer':
        value = parseIntegerText(raw);
        if (value === undefined) problems.push({ variable: label, expected: 'an integer' });
        break;
      case 'boolean':
        value = parseBooleanText(raw);
        if (value === undefined) problems.push({ variable: label, expected: `a boolean (${BOOLEAN_WORDS})` });
        break;
      case 'list':
        value = parseListText(raw);
        break;
    }
    if (value === undefined) continue;
    const [section, key] = path;
    const target = (data[section] ?? {}) as PlainObject;
    target[key] = value;
    data[section] = target;
    variables.set(`${section}.${key}`, label);
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p.variable}: expected ${p.expected}, got text that is not one`);
    throw new DbrsError('CONFIG_INVALID', `Invalid configuration from environment variables:\n${lines.join('\n')}`, {
      details: { issues: problems },
    });
  }
  return { data, variables };
}
