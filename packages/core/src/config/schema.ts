import { Cron } from 'croner';
import { z } from 'zod';
import { errorMessage } from '../util/error-message.js';
import { parseBooleanText, parseIntegerText, parseListText } from './coerce.js';

/*
 * The whole configuration as one zod schema. Defaults live here and nowhere
 * else, so `configSchema.parse({})` is the built-in defaults layer.
 *
 * Numbers, booleans and lists also accept their text forms: `${VAR}`
 * substitution in YAML always yields a string, and PyYAML (the original
 * system) read `enabled: yes` as true where YAML 1.2 reads a string. The
 * coercion is driven by the field's type, so a string field such as a
 * password made only of digits is never turned into a number.
 *
 * Every object is strict: an unknown key is almost always a typo
 * (`pool_min_sise`), and silently ignoring it would run with the default.
 */

function integerFromText(value: unknown): unknown {
  return typeof value === 'string' ? (parseIntegerText(value) ?? value) : value;
}

function booleanFromText(value: unknown): unknown {
  return typeof value === 'string' ? (parseBooleanText(value) ?? value) : value;
}

function listFromText(value: unknown): unknown {
  return typeof value === 'string' ? parseListText(value) : value;
}

function integer(min: number, max?: number) {
  // The custom message names the expected type for the issue formatter; zod alone would say "number".
  const base = z
    .number({ error: (issue) => (issue.code === 'invalid_type' ? 'integer' : undefined) })
    .int()
    .min(min);
  return z.preprocess(integerFromText, max === undefined ? base : base.max(max));
}

const boolean = () => z.preprocess(booleanFromText, z.boolean());
const text = () => z.string().min(1);
/** PostgreSQL truncates names to 63 bytes (NAMEDATALEN − 1); a longer one would silently name another object. */
const identifier = () =>
  z
    .string()
    .min(1)
    .refine((v) => Buffer.byteLength(v) <= 63, { error: 'must be a PostgreSQL name of at most 63 bytes' });
/**
 * The most connections one process's pool may open. Each is a server process on PostgreSQL (a few MB of
 * memory each, and max_connections is 100 by default); a pool beyond a thousand from one sidecar is a typo
 * or a design that needs a pooler in front, and the old unbounded integer accepted 2^53 − 1 silently.
 */
export const POOL_MAX_SIZE_LIMIT = 1_000;
const stringList = () => z.preprocess(listFromText, z.array(z.string().min(1)));
const tcpPort = () => integer(1, 65_535);
/** Listening ports also take 0 (an ephemeral port), which tests rely on. */
const listenPort = () => integer(0, 65_535);
const percent = () => integer(0, 100);

const cron = () =>
  z.string().superRefine((pattern, ctx) => {
    try {
      // Paused and without a callback: nothing is scheduled, only parsed.
      new Cron(pattern, { paused: true }).stop();
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `is not a valid cron expression (${errorMessage(error)})` });
    }
  });

const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** The original system used Python level names (`WARNING`, `CRITICAL`). */
const PYTHON_LEVEL_ALIASES: Readonly<Record<string, string>> = { warning: 'warn', critical: 'fatal' };

function levelFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const level = value.trim().toLowerCase();
  return PYTHON_LEVEL_ALIASES[level] ?? level;
}

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

export const databaseSchema = z
  .strictObject({
    /** postgres:// URL; when set it wins over host/port/name/user/password. Default: none. */
    url: z
      .string()
      .regex(/^postgres(?:ql)?:\/\/\S*$/, { error: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
    /** Host name, IP address or Unix socket directory. Default `'localhost'`. */
    host: text().default('localhost'),
    /** Default 5432. */
    port: tcpPort().default(5432),
    /** Database name. Default `'postgres'`. */
    name: text().default('postgres'),
    /** Default `'postgres'`. */
    user: text().default('postgres'),
    /** Default: none (trust, peer or a `.pgpass` file). */
    password: z.string().optional(),
    /**
     * TLS for every connection and child tool. The same setting as `sslmode`
     * in `url`: either may give it, and when both do they must agree. Default:
     * the URL's, else `disable`.
     */
    sslMode: z.enum(SSL_MODES).optional(),
    /** CA certificate (PEM); required for `verify-ca` and `verify-full`. Default: none. */
    sslCaFile: text().optional(),
    /** Client certificate (PEM), for servers that demand one (`clientcert=`); needs `sslKeyFile`. Default: none. */
    sslCertFile: text().optional(),
    /** Key of the client certificate (PEM). Default: none. */
    sslKeyFile: text().optional(),
    /** Connections kept open when idle. Default 5. */
    poolMinSize: integer(0, POOL_MAX_SIZE_LIMIT).default(5),
    /** Most connections the pool opens, at most {@link POOL_MAX_SIZE_LIMIT}. Default 20. */
    poolMaxSize: integer(1, POOL_MAX_SIZE_LIMIT).default(20),
    /** `statement_timeout` for every session, in ms. Default: none (the server's setting). */
    statementTimeoutMs: integer(0).optional(),
    /** How long to wait for a new connection, in ms. Default 10,000. */
    connectionTimeoutMs: integer(0).default(10_000),
    /** `application_name`, shown in pg_stat_activity. Default `'voicehive-dbrs'`. */
    applicationName: text().default('voicehive-dbrs'),
    /**
     * The one schema where the suite keeps its own tables (migration log, capacity history, audit log,
     * maintenance state), created on the first write, so a backup can leave it out with one
     * `excludeSchemas` entry and a read creates nothing. `migrations.schema`, `capacity.schema` and
     * `audit.schema` override it per table. Default `'dbrs'`.
     */
    stateSchema: identifier().default('dbrs'),
  })
  .superRefine((db, ctx) => {
    if (db.poolMinSize > db.poolMaxSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['poolMinSize'],
        message: 'must not be greater than database.poolMaxSize',
      });
    }
    if ((db.sslMode === 'verify-ca' || db.sslMode === 'verify-full') && db.sslCaFile === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sslCaFile'],
        message: `is required when database.sslMode is "${db.sslMode}"; set DB_SSL_CA_FILE or database.ssl_ca_file`,
      });
    }
    if ((db.sslCertFile === undefined) !== (db.sslKeyFile === undefined)) {
      const missing = db.sslCertFile === undefined ? 'sslCertFile' : 'sslKeyFile';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message:
          'is required with a client certificate: set both database.ssl_cert_file and database.ssl_key_file (DB_SSL_CERT_FILE, DB_SSL_KEY_FILE)',
      });
    }
  });

export const indexAdvisorSchema = z.strictObject({
  /** Default true. */
  enabled: boolean().default(true),
  /** Most indexes recommended per report. Default 5. */
  maxIndexes: integer(1).default(5),
  /** Largest index worth recommending, in bytes. Default: no limit. */
  maxIndexSizeBytes: integer(1).optional(),
  /** Tables with fewer rows are not worth indexing. Default 1000. */
  minTableRows: integer(0).default(1000),
});

export const performanceSchema = z
  .strictObject({
    /** Default true. */
    enabled: boolean().default(true),
    /** A query slower than this (mean, ms) is reported as slow. Default 1000. */
    slowQueryThresholdMs: integer(0).default(1000),
    /** Mean time (ms) that raises a warning. Default 500. */
    warningMs: integer(0).default(500),
    /** Mean time (ms) that is critical. Default 1000. */
    criticalMs: integer(0).default(1000),
    /** How often statistics are snapshotted, in ms. Default 300,000 (5 minutes). */
    snapshotIntervalMs: integer(1).default(300_000),
    /** Queries listed in a report. Default 20. */
    topQueries: integer(1).default(20),
    indexAdvisor: indexAdvisorSchema.prefault({}),
    /** EXPLAIN ANALYZE runs the query; off unless asked for. Default false. */
    allowExplainAnalyze: boolean().default(false),
  })
  .superRefine((perf, ctx) => {
    if (perf.warningMs > perf.criticalMs) {
      ctx.addIssue({ code: 'custom', path: ['warningMs'], message: 'must not be greater than performance.criticalMs' });
    }
  });

export const pgbouncerSchema = z.strictObject({
  /** Default false. */
  enabled: boolean().default(false),
  /** Default `'127.0.0.1'`. */
  host: text().default('127.0.0.1'),
  /** Default 6432. */
  port: tcpPort().default(6432),
  /** Default `'transaction'`. */
  poolMode: z.enum(['transaction', 'session', 'statement']).default('transaction'),
  /** Default 1000. */
  maxClientConn: integer(1).default(1000),
  /** Default 25. */
  defaultPoolSize: integer(1).default(25),
  /** User for the admin console (SHOW POOLS…). Default `'pgbouncer'`. */
  adminUser: text().default('pgbouncer'),
  /** Default: none. */
  adminPassword: z.string().optional(),
  /** pgbouncer.ini to manage. Default: none. */
  configPath: text().optional(),
  /** Executable name or path. Default `'pgbouncer'`. */
  binary: text().default('pgbouncer'),
  /**
   * TLS to the admin console. Default: unset, which uses database.sslMode and
   * its CA; set `disable` for a pgBouncer without TLS on loopback.
   */
  sslMode: z.enum(SSL_MODES).optional(),
  /** CA certificate (PEM) for the admin console. Default: database.sslCaFile. */
  sslCaFile: text().optional(),
});

export const gfsSchema = z.strictObject({
  /** Daily backups kept. Default: none. */
  daily: integer(0).optional(),
  /** Weekly backups kept. Default: none. */
  weekly: integer(0).optional(),
  /** Monthly backups kept. Default: none. */
  monthly: integer(0).optional(),
});

export const backupSchema = z
  .strictObject({
    /** Default true. */
    enabled: boolean().default(true),
    /** Default `'logical'` (pg_dump); `'physical'` is pg_basebackup. */
    backupType: z.enum(['logical', 'physical']).default('logical'),
    /** Default `'local'`. */
    storageType: z.enum(['local', 's3', 'azure', 'gcs']).default('local'),
    /** Directory for `local` storage. Default `'./backups'`. */
    localPath: text().default('./backups'),
    /** Required for `s3`. Default: none. */
    s3Bucket: text().optional(),
    /** Default `'us-east-1'`. */
    s3Region: text().default('us-east-1'),
    /** S3-compatible endpoint (MinIO, R2…). Default: AWS. */
    s3Endpoint: text().optional(),
    /** Key prefix inside the bucket. Default `''`. */
    s3Prefix: z.string().default(''),
    /** Needed by most S3-compatible servers. Default false. */
    s3ForcePathStyle: boolean().default(false),
    /** Static credentials. Default: the AWS SDK's chain (environment, profile, instance role). */
    s3AccessKeyId: text().optional(),
    /** Secret of `s3AccessKeyId`. Default: the AWS SDK's chain. */
    s3SecretAccessKey: text().optional(),
    /** Required for `azure`. Default: none. */
    azureContainer: text().optional(),
    /** Required for `azure`. Default: none. */
    azureConnectionString: text().optional(),
    /** Required for `gcs`. Default: none. */
    gcsBucket: text().optional(),
    /** Default `''`. */
    gcsPrefix: z.string().default(''),
    /** Default: taken from the credentials. */
    gcsProjectId: text().optional(),
    /** Custom JSON API endpoint (emulators). Default: Google's. */
    gcsApiEndpoint: text().optional(),
    /** Backups older than this many days may be deleted. Default 30. */
    retentionDays: integer(1).default(30),
    /** The newest this-many backups are always kept. Default 7. */
    keepLast: integer(0).default(7),
    /** Grandfather-father-son retention. Default: none (days + keepLast only). */
    gfs: gfsSchema.optional(),
    /** Cron expression for backups. Default `'0 2 * * *'`. */
    schedule: cron().default('0 2 * * *'),
    /** Cron expression for verification. Default `'0 4 * * *'`. */
    verifySchedule: cron().default('0 4 * * *'),
    /** Default `'zstd'`. */
    compression: z.enum(['zstd', 'gzip', 'none']).default('zstd'),
    /**
     * Default: unset, and the backup package turns encryption on when a key
     * or recipient exists. `false` forces it off; `true` demands a key.
     */
    encryptionEnabled: boolean().optional(),
    /** Passphrase. Default: none. */
    encryptionKey: text().optional(),
    /** Public keys (`vhbk-pub-…`, from `generateRecipientKeyPair`) a backup is encrypted to; YAML list or comma-separated text. Default `[]`. */
    encryptionRecipients: stringList().default([]),
    /** Private keys (`vhbk-sec-…`) or passphrases tried on restore. Default `[]`. */
    decryptionKeys: stringList().default([]),
    /** Parallel pg_dump/pg_restore jobs. Default 1. */
    jobs: integer(1).default(1),
    /**
     * Incremental physical backups (`--incremental`, PostgreSQL 17+) after one
     * full backup; the next incremental request then takes a full backup. Default 7
     * (daily backups: a full one at least every 8th day, near pgBackRest users'
     * weekly full). 1–63: a restore walks at most 64 backups.
     */
    incrementalMaxChain: integer(1, 63).default(7),
    /**
     * `dbrs wal push` hands files to one long-lived background worker (as pgBackRest's
     * archive-async) instead of pushing in its own process. Default false.
     */
    walPushAsync: boolean().default(false),
    /** Spool of the asynchronous push (lock and status files). Default `pg_wal/.dbrs-push` in the data directory. */
    walSpoolPath: text().optional(),
    /** Seconds an asynchronous `wal push` waits for its file before failing (PostgreSQL retries). Default 60. */
    walPushTimeout: integer(1).default(60),
    /** WAL files the background worker pushes at the same time. Default 2. */
    walPushJobs: integer(1).default(2),
  })
  .superRefine((backup, ctx) => {
    // A switched-off feature must not stop the service starting over settings it will never use.
    if (!backup.enabled) return;
    const requireField = (key: keyof typeof backup, envName: string, yamlKey: string) => {
      if (backup[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is required when backup.storageType is "${backup.storageType}"; set ${envName} or backup.${yamlKey}`,
        });
      }
    };
    if (backup.storageType === 's3') requireField('s3Bucket', 'BACKUP_S3_BUCKET', 's3_bucket');
    if (backup.storageType === 'azure') {
      requireField('azureContainer', 'BACKUP_AZURE_CONTAINER', 'azure_container');
      requireField('azureConnectionString', 'BACKUP_AZURE_CONNECTION_STRING', 'azure_connection_string');
    }
    if (backup.storageType === 'gcs') requireField('gcsBucket', 'BACKUP_GCS_BUCKET', 'gcs_bucket');
    if (
      backup.encryptionEnabled === true &&
      backup.encryptionKey === undefined &&
      backup.encryptionRecipients.length === 0
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryptionKey'],
        message:
          'is required when backup.encryptionEnabled is true; set BACKUP_ENCRYPTION_KEY (a passphrase) or BACKUP_ENCRYPTION_RECIPIENTS (vhbk-pub-… public keys)',
      });
    }
  });

export const migrationsSchema = z.strictObject({
  /** Default true. */
  enabled: boolean().default(true),
  /** Default `'./migrations'`. */
  migrationsDir: text().default('./migrations'),
  /** Table recording applied migrations. Default `'dbrs_migrations'`. */
  tableName: text().default('dbrs_migrations'),
  /** Schema of that table. Default: `database.stateSchema`. */
  schema: identifier().optional(),
  /** `lock_timeout` while migrating, in ms. Default 5000. */
  lockTimeoutMs: integer(0).default(5000),
  /** `statement_timeout` while migrating, in ms; 0 means none. Default 0. */
  statementTimeoutMs: integer(0).default(0),
  /** Run up/down/up on a scratch database before the real run. Default true. */
  testFirst: boolean().default(true),
  /** Apply a migration older than the newest applied one. Default false. */
  allowOutOfOrder: boolean().default(false),
  /**
   * Migration lint rule selection, passed to the migration manager's `lint`
   * option (rule ids are checked there, against the linter's own list).
   */
  lint: z
    .strictObject({
      /** Opt-in rules to run, e.g. `require-table-schema`. Default none. */
      enabledRules: stringList().default([]),
      /** Rules to skip. Default none. */
      disabledRules: stringList().default([]),
      /** RegExp source matched against each whole new name (naming-convention). Default: lower snake case. */
      namingPattern: text().optional(),
    })
    .prefault({}),
});

export const capacitySchema = z
  .strictObject({
    /** Default true. */
    enabled: boolean().default(true),
    /** How often sizes are sampled, in ms. Default 3,600,000 (1 hour). */
    sampleIntervalMs: integer(1).default(3_600_000),
    /** Schema of the sample table. Default: `database.stateSchema`. */
    schema: identifier().optional(),
    /** Samples older than this are deleted. Default 400 days. */
    retentionDays: integer(1).default(400),
    /** Storage available to the database, in bytes. Default: unknown (no percent alerts). */
    storageLimitBytes: integer(1).optional(),
    /** Default 80. */
    warningPercent: percent().default(80),
    /** Default 90. */
    criticalPercent: percent().default(90),
    /** Warn when the forecast reaches the limit within this many days. Default 30. */
    daysWarning: integer(0).default(30),
    /** Critical when the forecast reaches the limit within this many days. Default 7. */
    daysCritical: integer(0).default(7),
    /** Default 80. */
    connectionsWarningPercent: percent().default(80),
    /** Transaction ID age that warns of wraparound. Default 1,000,000,000. */
    xidAgeWarning: integer(1, 2_147_483_647).default(1_000_000_000),
  })
  .superRefine((capacity, ctx) => {
    if (capacity.warningPercent > capacity.criticalPercent) {
      ctx.addIssue({
        code: 'custom',
        path: ['warningPercent'],
        message: 'must not be greater than capacity.criticalPercent',
      });
    }
    if (capacity.daysCritical > capacity.daysWarning) {
      ctx.addIssue({
        code: 'custom',
        path: ['daysCritical'],
        message: 'must not be greater than capacity.daysWarning',
      });
    }
  });

export const metricsSchema = z.strictObject({
  /** Default true. */
  enabled: boolean().default(true),
  /** Port of the sidecar's /metrics. Default 9090. */
  port: listenPort().default(9090),
  /** Prepended to every metric name. Default `'voicehive_'`. */
  prefix: z
    .string()
    .regex(/^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/, {
      error: 'must be a Prometheus name prefix (letters, digits, "_" and ":", not starting with a digit)',
    })
    .default('voicehive_'),
});

export const serverSchema = z
  .strictObject({
    /** Port of the health/status server. Default 8080. */
    port: listenPort().default(8080),
    /** Default `'0.0.0.0'`. */
    host: text().default('0.0.0.0'),
    /** The operator key: required on mutating endpoints when set. Default: none. */
    apiKey: text().optional(),
    /**
     * Keys with the viewer role: they read /status, the page and (with metricsRequireApiKey) /metrics, and
     * are refused every action. Needs `apiKey` (without any key the server is open to read anyway). Default none.
     */
    viewerApiKeys: stringList().default([]),
    /** Also require the key on /metrics. Default false. */
    metricsRequireApiKey: boolean().default(false),
    /**
     * Reverse proxies in front of the server whose X-Forwarded-For entries are trusted when counting failed
     * sign-ins per client address. 0 ignores the header (right when clients connect directly). Behind one
     * ingress, 1: otherwise every client shares the proxy's address and one guesser locks out everybody.
     * Default 0.
     */
    trustProxy: integer(0, 16).default(0),
  })
  .superRefine((server, ctx) => {
    if (server.viewerApiKeys.length > 0 && server.apiKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['viewerApiKeys'],
        message:
          'need server.apiKey (the operator key) as well: without it the server is open to everyone; set DBRS_API_KEY or server.api_key',
      });
    }
    if (server.metricsRequireApiKey && server.apiKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiKey'],
        message: 'is required when server.metricsRequireApiKey is true; set DBRS_API_KEY or server.api_key',
      });
    }
  });

export const loggingSchema = z.strictObject({
  /** pino level; Python names (WARNING, CRITICAL) are accepted. Default `'info'`. */
  level: z.preprocess(levelFromText, z.enum(PINO_LEVELS)).default('info'),
  /** One JSON object per line. Default `'json'`. */
  format: z.enum(['json']).default('json'),
});

export const auditSchema = z.strictObject({
  /** Default true. */
  enabled: boolean().default(true),
  /** Default `'dbrs_audit_log'`. */
  table: text().default('dbrs_audit_log'),
  /** Default: `database.stateSchema`. */
  schema: identifier().optional(),
});

export const configSchema = z.strictObject({
  database: databaseSchema.prefault({}),
  performance: performanceSchema.prefault({}),
  pgbouncer: pgbouncerSchema.prefault({}),
  backup: backupSchema.prefault({}),
  migrations: migrationsSchema.prefault({}),
  capacity: capacitySchema.prefault({}),
  metrics: metricsSchema.prefault({}),
  server: serverSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  audit: auditSchema.prefault({}),
  /** The environment whose YAML section was applied; set by `loadConfig`. Default `'default'`. */
  environment: text().default('default'),
});

/** The validated configuration `loadConfig()` returns (deeply frozen at run time). */
export type DbrsConfig = z.output<typeof configSchema>;
export type DatabaseConfig = DbrsConfig['database'];
export type PerformanceConfig = DbrsConfig['performance'];
export type PgBouncerConfig = DbrsConfig['pgbouncer'];
export type BackupConfig = DbrsConfig['backup'];
export type MigrationsConfig = DbrsConfig['migrations'];
export type CapacityConfig = DbrsConfig['capacity'];
export type MetricsConfig = DbrsConfig['metrics'];
export type ServerConfig = DbrsConfig['server'];
export type LoggingConfig = DbrsConfig['logging'];
export type AuditConfig = DbrsConfig['audit'];

type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * What `overrides` accepts: any subset of the config, camelCase. Written by
 * hand because the schema's own input type is `unknown` wherever text is
 * coerced. `environment` is left out: it is chosen, not configured.
 */
export type DbrsConfigInput = DeepPartial<Omit<DbrsConfig, 'environment'>>;
