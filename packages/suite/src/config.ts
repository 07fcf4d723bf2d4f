import { DbrsError } from '@voicehive/db-core';

/**
 * The parts of the configuration the suite reads, in the nested shape of
 * core's `DbrsConfig` (so a `loadConfig()` result is accepted as is).
 * Defaults are those of core's schema.
 */
export interface SuiteConfig {
  database: {
    url?: string;
    host: string;
    port: number;
    name: string;
    user: string;
    password?: string;
    poolMinSize: number;
    poolMaxSize: number;
    statementTimeoutMs?: number;
    connectionTimeoutMs: number;
    applicationName: string;
  };
  performance: {
    enabled: boolean;
    slowQueryThresholdMs: number;
    warningMs: number;
    criticalMs: number;
    snapshotIntervalMs: number;
    topQueries: number;
  };
  pgbouncer: {
    enabled: boolean;
    host: string;
    port: number;
    poolMode: 'transaction' | 'session' | 'statement';
    maxClientConn: number;
    defaultPoolSize: number;
    adminUser: string;
    adminPassword?: string;
  };
  backup: {
    enabled: boolean;
    backupType: 'logical' | 'physical';
    storageType: 'local' | 's3' | 'azure' | 'gcs';
    localPath: string;
    s3Bucket?: string;
    s3Region: string;
    s3Endpoint?: string;
    s3Prefix: string;
    s3ForcePathStyle: boolean;
    /** Default: the AWS SDK's credential chain (environment, profile, instance role). */
    s3AccessKeyId?: string;
    s3SecretAccessKey?: string;
    azureContainer?: string;
    azureConnectionString?: string;
    gcsBucket?: string;
    gcsPrefix: string;
    gcsProjectId?: string;
    gcsApiEndpoint?: string;
    retentionDays: number;
    keepLast: number;
    schedule: string;
    verifySchedule: string;
    compression: 'zstd' | 'gzip' | 'none';
    encryptionEnabled?: boolean;
    encryptionKey?: string;
    encryptionRecipients: string[];
    decryptionKeys: string[];
    jobs: number;
  };
  migrations: {
    enabled: boolean;
    migrationsDir: string;
    tableName: string;
    schema: string;
    lockTimeoutMs: number;
    statementTimeoutMs: number;
    testFirst: boolean;
    allowOutOfOrder: boolean;
    /**
     * Migration lint rule selection, the manager's `lint` option: opt-in rules
     * to run, rules to skip, and the naming-convention pattern (a RegExp
     * source matched against the whole name). Unknown rule ids are refused
     * (CONFIG_INVALID). Default: none, none, lower snake case.
     */
    lint: { enabledRules: string[]; disabledRules: string[]; namingPattern?: string };
  };
  capacity: {
    enabled: boolean;
    sampleIntervalMs: number;
    schema: string;
    retentionDays: number;
    storageLimitBytes?: number;
    warningPercent: number;
    criticalPercent: number;
    daysWarning: number;
    daysCritical: number;
  };
  metrics: { enabled: boolean; port: number; prefix: string };
  /** `trustProxy`: proxies whose X-Forwarded-For entries count as the client address for sign-in limits. */
  server: { port: number; host: string; apiKey?: string; metricsRequireApiKey: boolean; trustProxy: number };
  logging: { level: string };
  audit: { enabled: boolean; table: string; schema: string };
}

/** The original system's flat keys, in camelCase. Every key is optional; defaults as in `SuiteConfig`. */
export interface FlatSuiteConfig {
  poolMinSize?: number;
  poolMaxSize?: number;
  statementTimeoutMs?: number;
  performanceEnabled?: boolean;
  slowQueryThresholdMs?: number;
  warningMs?: number;
  criticalMs?: number;
  backupEnabled?: boolean;
  backupType?: 'logical' | 'physical';
  storageType?: 'local' | 's3' | 'azure' | 'gcs';
  backupLocalPath?: string;
  backupS3Bucket?: string;
  backupS3Region?: string;
  backupS3Endpoint?: string;
  backupS3Prefix?: string;
  backupS3ForcePathStyle?: boolean;
  backupS3AccessKeyId?: string;
  backupS3SecretAccessKey?: string;
  backupAzureContainer?: string;
  backupAzureConnectionString?: string;
  backupGcsBucket?: string;
  backupGcsApiEndpoint?: string;
  retentionDays?: number;
  keepLast?: number;
  backupSchedule?: string;
  verifySchedule?: string;
  compression?: 'zstd' | 'gzip' | 'none';
  backupEncryptionEnabled?: boolean;
  backupEncryptionKey?: string;
  backupEncryptionRecipients?: string[];
  migrationsEnabled?: boolean;
  migrationsDir?: string;
  capacityEnabled?: boolean;
  storageLimitBytes?: number;
  capacityWarningPercent?: number;
  capacityCriticalPercent?: number;
  pgbouncerEnabled?: boolean;
  pgbouncerHost?: string;
  pgbouncerPort?: number;
  pgbouncerAdminUser?: string;
  pgbouncerAdminPassword?: string;
  metricsEnabled?: boolean;
  metricsPort?: number;
  prometheusPort?: number;
  healthPort?: number;
  apiKey?: string;
  metricsRequireApiKey?: boolean;
  trustProxy?: number;
  logLevel?: string;
  auditEnabled?: boolean;
}

/** Flat key → [section, key] in the nested config. */
const FLAT_KEYS: Record<keyof FlatSuiteConfig, [keyof SuiteConfig, string]> = {
  poolMinSize: ['database', 'poolMinSize'],
  poolMaxSize: ['database', 'poolMaxSize'],
  statementTimeoutMs: ['database', 'statementTimeoutMs'],
  performanceEnabled: ['performance', 'enabled'],
  slowQueryThresholdMs: ['performance', 'slowQueryThresholdMs'],
  warningMs: ['performance', 'warningMs'],
  criticalMs: ['performance', 'criticalMs'],
  backupEnabled: ['backup', 'enabled'],
  backupType: ['backup', 'backupType'],
  storageType: ['backup', 'storageType'],
  backupLocalPath: ['backup', 'localPath'],
  backupS3Bucket: ['backup', 's3Bucket'],
  backupS3Region: ['backup', 's3Region'],
  backupS3Endpoint: ['backup', 's3Endpoint'],
  backupS3Prefix: ['backup', 's3Prefix'],
  backupS3ForcePathStyle: ['backup', 's3ForcePathStyle'],
  backupS3AccessKeyId: ['backup', 's3AccessKeyId'],
  backupS3SecretAccessKey: ['backup', 's3SecretAccessKey'],
  backupAzureContainer: ['backup', 'azureContainer'],
  backupAzureConnectionString: ['backup', 'azureConnectionString'],
  backupGcsBucket: ['backup', 'gcsBucket'],
  backupGcsApiEndpoint: ['backup', 'gcsApiEndpoint'],
  retentionDays: ['backup', 'retentionDays'],
  keepLast: ['backup', 'keepLast'],
  backupSchedule: ['backup', 'schedule'],
  verifySchedule: ['backup', 'verifySchedule'],
  compression: ['backup', 'compression'],
  backupEncryptionEnabled: ['backup', 'encryptionEnabled'],
  backupEncryptionKey: ['backup', 'encryptionKey'],
  backupEncryptionRecipients: ['backup', 'encryptionRecipients'],
  migrationsEnabled: ['migrations', 'enabled'],
  migrationsDir: ['migrations', 'migrationsDir'],
  capacityEnabled: ['capacity', 'enabled'],
  storageLimitBytes: ['capacity', 'storageLimitBytes'],
  capacityWarningPercent: ['capacity', 'warningPercent'],
  capacityCriticalPercent: ['capacity', 'criticalPercent'],
  pgbouncerEnabled: ['pgbouncer', 'enabled'],
  pgbouncerHost: ['pgbouncer', 'host'],
  pgbouncerPort: ['pgbouncer', 'port'],
  pgbouncerAdminUser: ['pgbouncer', 'adminUser'],
  pgbouncerAdminPassword: ['pgbouncer', 'adminPassword'],
  metricsEnabled: ['metrics', 'enabled'],
  metricsPort: ['metrics', 'port'],
  prometheusPort: ['metrics', 'port'],
  healthPort: ['server', 'port'],
  apiKey: ['server', 'apiKey'],
  metricsRequireApiKey: ['server', 'metricsRequireApiKey'],
  trustProxy: ['server', 'trustProxy'],
  logLevel: ['logging', 'level'],
  auditEnabled: ['audit', 'enabled'],
};

export function defaultSuiteConfig(): SuiteConfig {
  return {
    database: {
      host: 'localhost',
      port: 5432,
      name: 'postgres',
      user: 'postgres',
      poolMinSize: 5,
      poolMaxSize: 20,
      connectionTimeoutMs: 10_000,
      applicationName: 'voicehive-dbrs',
    },
    performance: {
      enabled: true,
      slowQueryThresholdMs: 1000,
      warningMs: 500,
      criticalMs: 1000,
      snapshotIntervalMs: 300_000,
      topQueries: 20,
    },
    pgbouncer: {
      enabled: false,
      host: '127.0.0.1',
      port: 6432,
      poolMode: 'transaction',
      maxClientConn: 1000,
      defaultPoolSize: 25,
      adminUser: 'pgbouncer',
    },
    backup: {
      enabled: true,
      backupType: 'logical',
      storageType: 'local',
      localPath: './backups',
      s3Region: 'us-east-1',
      s3Prefix: '',
      s3ForcePathStyle: false,
      gcsPrefix: '',
      retentionDays: 30,
      keepLast: 7,
      schedule: '0 2 * * *',
      verifySchedule: '0 4 * * *',
      compression: 'zstd',
      encryptionRecipients: [],
      decryptionKeys: [],
      jobs: 1,
    },
    migrations: {
      enabled: true,
      migrationsDir: './migrations',
      tableName: 'dbrs_migrations',
      schema: 'public',
      lockTimeoutMs: 5000,
      statementTimeoutMs: 0,
      testFirst: true,
      allowOutOfOrder: false,
      lint: { enabledRules: [], disabledRules: [] },
    },
    capacity: {
      enabled: true,
      sampleIntervalMs: 3_600_000,
      schema: 'public',
      retentionDays: 400,
      warningPercent: 80,
      criticalPercent: 90,
      daysWarning: 30,
      daysCritical: 7,
    },
    metrics: { enabled: true, port: 9090, prefix: 'voicehive_' },
    server: { port: 8080, host: '0.0.0.0', metricsRequireApiKey: false, trustProxy: 0 },
    logging: { level: 'info' },
    audit: { enabled: true, table: 'dbrs_audit_log', schema: 'public' },
  };
}

const SECTIONS = Object.keys(defaultSuiteConfig()) as Array<keyof SuiteConfig>;

/** Flat keys → a partial nested config (unknown keys are kept at top level so validation reports them). */
export function flatToNested(flat: FlatSuiteConfig): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, v] of Object.entries(flat)) {
    const target = FLAT_KEYS[key as keyof FlatSuiteConfig];
    if (!target || v === undefined) continue;
    const section = out[target[0]] ?? {};
    section[target[1]] = v;
    out[target[0]] = section;
  }
  return out;
}

/** A nested config with flat-key overrides applied on top (for the CLI's flags over a config file). */
export function withOverrides(nested: object, flat: FlatSuiteConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(nested))
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...v } : v;
  for (const [section, values] of Object.entries(flatToNested(flat)))
    out[section] = { ...((out[section] as object) ?? {}), ...values };
  return out;
}

/** True when the object is in the nested `DbrsConfig` shape rather than flat keys. */
export function isNestedConfig(input: object): boolean {
  const keys = Object.keys(input);
  return keys.length > 0 && keys.every((k) => (SECTIONS as string[]).includes(k) || k === 'environment');
}

/**
 * Turns flat keys or a (partial) nested config into a complete, validated
 * `SuiteConfig`. Every problem is collected and reported in one
 * DbrsError('CONFIG_INVALID') naming the key, the type received and what is
 * expected, never the value (it may be a secret).
 */
export function resolveSuiteConfig(
  input: FlatSuiteConfig | Partial<Record<keyof SuiteConfig, object>> | undefined,
): SuiteConfig {
  const config = defaultSuiteConfig();
  const problems: string[] = [];
  const raw = (input ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DbrsError(
      'CONFIG_INVALID',
      'The suite config must be an object of flat keys (poolMaxSize, backupType, …) or a loadConfig() result.',
    );
  }
  if (isNestedConfig(raw)) {
    for (const [section, value] of Object.entries(raw)) {
      if (section === 'environment') continue;
      if (typeof value !== 'object' || value === null) {
        problems.push(`${section}: expected an object, got ${typeOf(value)}`);
        continue;
      }
      for (const [key, v] of Object.entries(value)) {
        if (v !== undefined) (config[section as keyof SuiteConfig] as Record<string, unknown>)[key] = v;
      }
    }
  } else {
    for (const [key, v] of Object.entries(raw)) {
      const target = FLAT_KEYS[key as keyof FlatSuiteConfig];
      if (!target) {
        problems.push(
          `${key}: unknown key (check the spelling; flat keys are camelCase, e.g. poolMaxSize, backupS3Bucket)`,
        );
        continue;
      }
      if (v !== undefined) (config[target[0]] as Record<string, unknown>)[target[1]] = v;
    }
  }
  validate(config, problems);
  if (problems.length > 0) {
    throw new DbrsError('CONFIG_INVALID', `Invalid suite configuration: ${problems.join('; ')}.`, {
      details: { problems },
      hint: 'Fix the keys named above.',
    });
  }
  return config;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function validate(c: SuiteConfig, problems: string[]): void {
  const int = (path: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER, optional = false) => {
    if (v === undefined && optional) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(
        `${path}: expected an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, got ${typeOf(v)}${typeof v === 'number' ? ` ${v}` : ''}`,
      );
    }
  };
  const bool = (path: string, v: unknown) => {
    if (typeof v !== 'boolean') problems.push(`${path}: expected true or false, got ${typeOf(v)}`);
  };
  const str = (path: string, v: unknown, optional = false) => {
    if (v === undefined && optional) return;
    if (typeof v !== 'string' || v.length === 0)
      problems.push(`${path}: expected a non-empty string, got ${typeOf(v)}`);
  };
  const oneOf = (path: string, v: unknown, allowed: readonly string[]) => {
    if (typeof v !== 'string' || !allowed.includes(v))
      problems.push(`${path}: expected one of ${allowed.join(', ')}, got ${typeOf(v)}`);
  };
  const cron = (path: string, v: unknown) => {
    if (typeof v !== 'string' || !/^\s*(\S+\s+){4,5}\S+\s*$/.test(v))
      problems.push(`${path}: expected a cron expression with 5 or 6 fields`);
  };

  const d = c.database;
  str('database.url', d.url, true);
  if (d.url !== undefined && typeof d.url === 'string' && !/^postgres(?:ql)?:\/\//.test(d.url))
    problems.push('database.url: expected a postgres:// URL');
  int('database.poolMinSize', d.poolMinSize, 0);
  int('database.poolMaxSize', d.poolMaxSize, 1);
  if (typeof d.poolMinSize === 'number' && typeof d.poolMaxSize === 'number' && d.poolMinSize > d.poolMaxSize) {
    problems.push('database.poolMinSize: must not be greater than poolMaxSize');
  }
  int('database.statementTimeoutMs', d.statementTimeoutMs, 0, undefined, true);

  const p = c.performance;
  bool('performance.enabled', p.enabled);
  int('performance.slowQueryThresholdMs', p.slowQueryThresholdMs, 0);
  int('performance.warningMs', p.warningMs, 0);
  int('performance.criticalMs', p.criticalMs, 0);

  const b = c.backup;
  bool('backup.enabled', b.enabled);
  oneOf('backup.backupType', b.backupType, ['logical', 'physical']);
  oneOf('backup.storageType', b.storageType, ['local', 's3', 'azure', 'gcs']);
  str('backup.localPath', b.localPath);
  int('backup.retentionDays', b.retentionDays, 1);
  int('backup.keepLast', b.keepLast, 0);
  cron('backup.schedule', b.schedule);
  cron('backup.verifySchedule', b.verifySchedule);
  oneOf('backup.compression', b.compression, ['zstd', 'gzip', 'none']);
  str('backup.encryptionKey', b.encryptionKey, true);
  if (b.enabled) {
    if (b.storageType === 's3' && !b.s3Bucket)
      problems.push(
        'backup.s3Bucket: required when storageType is "s3" (flat key backupS3Bucket, env BACKUP_S3_BUCKET)',
      );
    if (b.storageType === 'azure' && (!b.azureContainer || !b.azureConnectionString)) {
      problems.push('backup.azureContainer and backup.azureConnectionString: required when storageType is "azure"');
    }
    if (b.storageType === 'gcs' && !b.gcsBucket) problems.push('backup.gcsBucket: required when storageType is "gcs"');
    if (b.encryptionEnabled === true && !b.encryptionKey && (b.encryptionRecipients ?? []).length === 0) {
      problems.push(
        'backup.encryptionKey: required when encryption is enabled (a passphrase, or encryptionRecipients)',
      );
    }
  }

  bool('migrations.enabled', c.migrations.enabled);
  str('migrations.migrationsDir', c.migrations.migrationsDir);
  const lint = c.migrations.lint as unknown;
  if (typeof lint !== 'object' || lint === null || Array.isArray(lint)) {
    problems.push(`migrations.lint: expected an object, got ${typeOf(lint)}`);
  } else {
    const l = lint as Record<string, unknown>;
    for (const key of Object.keys(l)) {
      if (!['enabledRules', 'disabledRules', 'namingPattern'].includes(key))
        problems.push(`migrations.lint.${key}: unknown key (expected enabledRules, disabledRules, namingPattern)`);
    }
    for (const key of ['enabledRules', 'disabledRules']) {
      const v = l[key];
      if (v !== undefined && (!Array.isArray(v) || v.some((id) => typeof id !== 'string')))
        problems.push(`migrations.lint.${key}: expected a list of rule ids, got ${typeOf(v)}`);
    }
    str('migrations.lint.namingPattern', l['namingPattern'], true);
  }

  const cap = c.capacity;
  bool('capacity.enabled', cap.enabled);
  int('capacity.storageLimitBytes', cap.storageLimitBytes, 1, undefined, true);
  int('capacity.warningPercent', cap.warningPercent, 0, 100);
  int('capacity.criticalPercent', cap.criticalPercent, 0, 100);
  if (cap.warningPercent > cap.criticalPercent)
    problems.push('capacity.warningPercent: must not be greater than criticalPercent');

  bool('pgbouncer.enabled', c.pgbouncer.enabled);
  int('pgbouncer.port', c.pgbouncer.port, 1, 65_535);
  int('metrics.port', c.metrics.port, 0, 65_535);
  int('server.port', c.server.port, 0, 65_535);
  if (c.server.apiKey !== undefined && (typeof c.server.apiKey !== 'string' || c.server.apiKey.length < 16)) {
    problems.push('server.apiKey: expected a string of at least 16 characters');
  }
  bool('server.metricsRequireApiKey', c.server.metricsRequireApiKey);
  int('server.trustProxy', c.server.trustProxy, 0, 16);
  if (c.server.metricsRequireApiKey && !c.server.apiKey)
    problems.push('server.apiKey: required when metricsRequireApiKey is true');
}
