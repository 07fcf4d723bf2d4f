import {
  type DbrsConfig,
  type DbrsConfigInput,
  DbrsError,
  isDbrsError,
  isPlainObject,
  type PlainObject,
  validateConfig,
} from '@voicehive/db-core';

/*
 * The facade's second argument in the original's flat keys (`poolMaxSize`,
 * `backupType`, `backupS3Bucket`, …). This file is only a mapping: each flat
 * key names one key of core's model (`DbrsConfig`), whose schema owns the
 * types, defaults and validation. There is no second model here.
 */

type Section = Exclude<keyof DbrsConfig, 'environment'>;
type ModelPath = { [S in Section]: readonly [S, keyof DbrsConfig[S] & string] }[Section];

/** Flat key → [section, key] in core's model. The compiler checks every target exists. */
export const FLAT_KEYS = {
  databaseUrl: ['database', 'url'],
  poolMinSize: ['database', 'poolMinSize'],
  poolMaxSize: ['database', 'poolMaxSize'],
  statementTimeoutMs: ['database', 'statementTimeoutMs'],
  connectionTimeoutMs: ['database', 'connectionTimeoutMs'],
  applicationName: ['database', 'applicationName'],
  sslMode: ['database', 'sslMode'],
  sslCaFile: ['database', 'sslCaFile'],
  sslCertFile: ['database', 'sslCertFile'],
  sslKeyFile: ['database', 'sslKeyFile'],
  performanceEnabled: ['performance', 'enabled'],
  slowQueryThresholdMs: ['performance', 'slowQueryThresholdMs'],
  warningMs: ['performance', 'warningMs'],
  criticalMs: ['performance', 'criticalMs'],
  snapshotIntervalMs: ['performance', 'snapshotIntervalMs'],
  topQueries: ['performance', 'topQueries'],
  allowExplainAnalyze: ['performance', 'allowExplainAnalyze'],
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
  backupGcsPrefix: ['backup', 'gcsPrefix'],
  backupGcsProjectId: ['backup', 'gcsProjectId'],
  backupGcsApiEndpoint: ['backup', 'gcsApiEndpoint'],
  retentionDays: ['backup', 'retentionDays'],
  keepLast: ['backup', 'keepLast'],
  backupGfs: ['backup', 'gfs'],
  backupSchedule: ['backup', 'schedule'],
  verifySchedule: ['backup', 'verifySchedule'],
  compression: ['backup', 'compression'],
  backupEncryptionEnabled: ['backup', 'encryptionEnabled'],
  backupEncryptionKey: ['backup', 'encryptionKey'],
  backupEncryptionRecipients: ['backup', 'encryptionRecipients'],
  backupDecryptionKeys: ['backup', 'decryptionKeys'],
  backupJobs: ['backup', 'jobs'],
  backupIncrementalMaxChain: ['backup', 'incrementalMaxChain'],
  backupWalPushAsync: ['backup', 'walPushAsync'],
  backupWalSpoolPath: ['backup', 'walSpoolPath'],
  backupWalPushTimeout: ['backup', 'walPushTimeout'],
  backupWalPushJobs: ['backup', 'walPushJobs'],
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
  pgbouncerConfigPath: ['pgbouncer', 'configPath'],
  pgbouncerBinary: ['pgbouncer', 'binary'],
  metricsEnabled: ['metrics', 'enabled'],
  metricsPort: ['metrics', 'port'],
  /** Compatibility spelling of `metricsPort` (the original's PROMETHEUS_PORT). */
  prometheusPort: ['metrics', 'port'],
  metricsPrefix: ['metrics', 'prefix'],
  healthPort: ['server', 'port'],
  apiKey: ['server', 'apiKey'],
  viewerApiKeys: ['server', 'viewerApiKeys'],
  metricsRequireApiKey: ['server', 'metricsRequireApiKey'],
  trustProxy: ['server', 'trustProxy'],
  logLevel: ['logging', 'level'],
  auditEnabled: ['audit', 'enabled'],
} as const satisfies Record<string, ModelPath>;

type FlatKeys = typeof FLAT_KEYS;
type ValueAt<P> = P extends readonly [infer S, infer K]
  ? S extends Section
    ? K extends keyof DbrsConfig[S]
      ? DbrsConfig[S][K]
      : never
    : never
  : never;

/**
 * The original system's flat keys, in camelCase; every key optional, types
 * and defaults those of core's model (`logLevel` also takes the original's
 * Python level names, WARNING and CRITICAL).
 */
export type FlatSuiteConfig = { [K in Exclude<keyof FlatKeys, 'logLevel'>]?: ValueAt<FlatKeys[K]> } & {
  logLevel?: string;
};

/**
 * What the facade's second argument accepts: flat keys, sections of the
 * model (a `loadConfig()` result fits), or both in one object.
 */
export type SuiteConfigInput = FlatSuiteConfig & DbrsConfigInput & { environment?: string };

const SECTIONS: ReadonlySet<string> = new Set<Section>([
  'database',
  'performance',
  'pgbouncer',
  'backup',
  'migrations',
  'capacity',
  'metrics',
  'server',
  'logging',
  'audit',
]);

/**
 * Flat keys and sections → one input in the model's shape. An unknown flat
 * key, and a setting given both flat and in its section, are CONFIG_INVALID
 * (every problem at once, never a value).
 */
export function flatToModel(input: object): PlainObject {
  const { model, problems } = splitFlat(input);
  if (problems.length > 0) throw flatProblems(problems);
  return model;
}

function flatProblems(problems: readonly string[], also?: DbrsError): DbrsError {
  const lines = problems.map((p) => `  - ${p}`).join('\n');
  return new DbrsError(
    'CONFIG_INVALID',
    also ? `${also.message}\n${lines}` : `Invalid suite configuration:\n${lines}`,
    { details: { ...(also?.details ?? {}), flatKeyIssues: problems }, hint: 'Fix the keys named above.' },
  );
}

function splitFlat(input: object): { model: PlainObject; problems: string[] } {
  if (!isPlainObject(input)) {
    throw new DbrsError(
      'CONFIG_INVALID',
      'The suite config must be an object of flat keys (poolMaxSize, backupType, …) and/or sections (database, backup, …).',
    );
  }
  const out: PlainObject = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (SECTIONS.has(key) || key === 'environment') out[key] = isPlainObject(value) ? structuredClone(value) : value;
  }
  for (const [key, value] of Object.entries(input)) {
    if (SECTIONS.has(key) || key === 'environment' || value === undefined) continue;
    const target = (FLAT_KEYS as Record<string, ModelPath>)[key];
    if (!target) {
      problems.push(`${key}: unknown key (flat keys are camelCase, e.g. poolMaxSize, backupS3Bucket; or use sections)`);
      continue;
    }
    const [section, name] = target;
    const current = out[section];
    const into = isPlainObject(current) ? current : {};
    if (Object.hasOwn(into, name)) {
      problems.push(`${key} and ${section}.${name} are one setting given twice; keep one`);
      continue;
    }
    into[name] = value;
    out[section] = into;
  }
  return { model: out, problems };
}

/** Flat keys and/or sections, validated once by core's schema into the one model. */
export function resolveSuiteConfig(input: SuiteConfigInput | object = {}): DbrsConfig {
  const { model, problems } = splitFlat(input);
  try {
    const config = validateConfig(model, { source: 'the suite config' });
    if (problems.length > 0) throw flatProblems(problems);
    return config;
  } catch (err) {
    // Every problem at once: the flat keys' and the schema's.
    if (problems.length > 0 && isDbrsError(err, 'CONFIG_INVALID') && !err.details?.['flatKeyIssues'])
      throw flatProblems(problems, err);
    throw err;
  }
}

/** A validated config with flat-key overrides on top (the CLI's flags over its config file). */
export function withFlatOverrides(config: DbrsConfig, flat: FlatSuiteConfig): PlainObject {
  const out = structuredClone(config) as unknown as PlainObject;
  for (const [section, values] of Object.entries(flatToModel(flat))) {
    out[section] = { ...((out[section] as PlainObject | undefined) ?? {}), ...(values as PlainObject) };
  }
  return out;
}
