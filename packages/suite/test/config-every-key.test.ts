import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type DbrsConfig, libpqEnv, silentLogger } from '@voicehive/db-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupPlan } from '../src/components/backup.js';
import { capacityPlan } from '../src/components/capacity.js';
import { migrationsManagerOptions } from '../src/components/migrations.js';
import { performancePlan } from '../src/components/performance.js';
import { pgbouncerManagerOptions } from '../src/components/pgbouncer.js';
import { createDatabaseReliabilitySuite, type DatabaseReliabilitySuite, resolveSuiteConfig } from '../src/index.js';

/*
 * Every leaf key of core's schema, set to a value that is not its default,
 * must be seen where it is used: in the options a feature is built with (the
 * mapper's output), on the suite's database, or at run time. A key not
 * listed below fails the test, so a new key cannot be added silently.
 */

type Zod = { _zod: { def: { type: string; innerType?: Zod; out?: Zod; shape?: Record<string, Zod> } } };

function unwrap(schema: Zod): Zod {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (['default', 'prefault', 'optional', 'nullable'].includes(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.out) s = def.out;
    else return s;
  }
}

function leafKeys(schema: Zod, path: string[] = []): string[] {
  const s = unwrap(schema);
  if (s._zod.def.type === 'object' && s._zod.def.shape) {
    return Object.entries(s._zod.def.shape).flatMap(([k, v]) => leafKeys(v, [...path, k]));
  }
  return [path.join('.')];
}

const dir = mkdtempSync(join(tmpdir(), 'dbrs-every-key-'));
const pem = (name: string) => {
  const file = join(dir, name);
  writeFileSync(file, `-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n`);
  return file;
};
const CA = pem('ca.pem');
const CERT = pem('client.crt');
const KEY = pem('client.key');
const PGB_CA = pem('pgbouncer-ca.pem');

/** A non-default value for every leaf; the config is validated by the schema like any other. */
const VALUES: Record<string, unknown> = {
  'database.url': undefined, // set in its own build below (a URL wins over host…password)
  'database.host': 'db-every-key.internal',
  'database.port': 6543,
  'database.name': 'hotels_every_key',
  'database.user': 'dbrs_every_key',
  'database.password': 'pw-every-key',
  'database.sslMode': 'verify-full',
  'database.sslCaFile': CA,
  'database.sslCertFile': CERT,
  'database.sslKeyFile': KEY,
  'database.poolMinSize': 2,
  'database.poolMaxSize': 7,
  'database.statementTimeoutMs': 12_345,
  'database.connectionTimeoutMs': 4_321,
  'database.applicationName': 'every-key-app',
  'database.stateSchema': 'ek_state',
  'performance.enabled': false,
  'performance.slowQueryThresholdMs': 777,
  'performance.warningMs': 333,
  'performance.criticalMs': 999,
  'performance.snapshotIntervalMs': 61_000,
  'performance.topQueries': 7,
  'performance.indexAdvisor.enabled': false,
  'performance.indexAdvisor.maxIndexes': 3,
  'performance.indexAdvisor.maxIndexSizeBytes': 1_048_576,
  'performance.indexAdvisor.minTableRows': 50,
  'performance.allowExplainAnalyze': true,
  'pgbouncer.enabled': true,
  'pgbouncer.host': '10.1.2.3',
  'pgbouncer.port': 6499,
  'pgbouncer.poolMode': 'session',
  'pgbouncer.maxClientConn': 77,
  'pgbouncer.defaultPoolSize': 9,
  'pgbouncer.adminUser': 'pgb_admin',
  'pgbouncer.adminPassword': 'pgb-secret',
  'pgbouncer.configPath': join(dir, 'pgb', 'pgbouncer.ini'),
  'pgbouncer.binary': '/opt/pgbouncer/bin/pgbouncer',
  'pgbouncer.sslMode': 'verify-ca',
  'pgbouncer.sslCaFile': PGB_CA,
  'backup.enabled': false,
  'backup.backupType': 'physical',
  'backup.storageType': 'gcs',
  'backup.localPath': '/srv/every-key-backups',
  'backup.s3Bucket': 'ek-bucket',
  'backup.s3Region': 'eu-north-1',
  'backup.s3Endpoint': 'http://s3.every-key',
  'backup.s3Prefix': 'ek/',
  'backup.s3ForcePathStyle': true,
  'backup.s3AccessKeyId': 'AKIAEVERYKEY',
  'backup.s3SecretAccessKey': 's3-secret-every-key',
  'backup.azureContainer': 'ek-container',
  'backup.azureConnectionString': 'UseDevelopmentStorage=true',
  'backup.gcsBucket': 'ek-gcs',
  'backup.gcsPrefix': 'gp/',
  'backup.gcsProjectId': 'ek-project',
  'backup.gcsApiEndpoint': 'http://gcs.every-key',
  'backup.retentionDays': 11,
  'backup.keepLast': 3,
  'backup.gfs.daily': 6,
  'backup.gfs.weekly': 5,
  'backup.gfs.monthly': 13,
  'backup.schedule': '15 1 * * *',
  'backup.verifySchedule': '45 5 * * *',
  'backup.compression': 'gzip',
  'backup.encryptionEnabled': true,
  'backup.encryptionKey': 'every-key-passphrase',
  'backup.encryptionRecipients': ['vhbk-pub-everykey'],
  'backup.decryptionKeys': ['vhbk-sec-everykey'],
  'backup.jobs': 3,
  'backup.incrementalMaxChain': 2,
  'backup.walPushAsync': true,
  'backup.walSpoolPath': join(dir, 'wal-spool'),
  'backup.walPushTimeout': 17,
  'backup.walPushJobs': 4,
  'migrations.enabled': false,
  'migrations.migrationsDir': join(dir, 'migrations'),
  'migrations.tableName': 'ek_migrations',
  'migrations.schema': 'ek_schema',
  'migrations.lockTimeoutMs': 1_234,
  'migrations.statementTimeoutMs': 5_678,
  'migrations.testFirst': false,
  'migrations.allowOutOfOrder': true,
  'migrations.lint.enabledRules': ['require-table-schema'],
  'migrations.lint.disabledRules': ['prefer-robust-stmts'],
  'migrations.lint.namingPattern': '[a-z]+',
  'capacity.enabled': false,
  'capacity.sampleIntervalMs': 120_000,
  'capacity.schema': 'ek_capacity',
  'capacity.retentionDays': 99,
  'capacity.storageLimitBytes': 10_000_000,
  'capacity.warningPercent': 70,
  'capacity.criticalPercent': 85,
  'capacity.daysWarning': 20,
  'capacity.daysCritical': 5,
  'capacity.connectionsWarningPercent': 65,
  'capacity.xidAgeWarning': 500_000_000,
  'metrics.enabled': false,
  'metrics.port': 9191,
  'metrics.prefix': 'everykey_',
  'server.port': 8181,
  'server.host': '127.0.0.1',
  'server.apiKey': 'every-key-api-key-0123456789',
  'server.viewerApiKeys': ['every-key-viewer-1', 'every-key-viewer-2'],
  'server.metricsRequireApiKey': true,
  'server.trustProxy': 2,
  'logging.level': 'error',
  'logging.format': 'json',
  'audit.enabled': false,
  'audit.table': 'ek_audit',
  'audit.schema': 'ek_audit_schema',
  environment: 'every-key',
};

interface World {
  config: DbrsConfig;
  suite: DatabaseReliabilitySuite;
  env: NodeJS.ProcessEnv;
  backup: ReturnType<typeof backupPlan>;
  performance: ReturnType<typeof performancePlan>;
  capacity: ReturnType<typeof capacityPlan>;
  migrations: ReturnType<typeof migrationsManagerOptions>;
  pgbouncer: ReturnType<typeof pgbouncerManagerOptions>;
}

/** Where each key is observed once the suite is built. */
const ARRIVES: Record<string, (w: World) => unknown> = {
  'database.host': (w) => w.suite.database.info.host,
  'database.port': (w) => w.suite.database.info.port,
  'database.name': (w) => w.suite.database.info.database,
  'database.user': (w) => w.suite.database.info.user,
  'database.password': (w) => w.env['PGPASSWORD'],
  'database.sslMode': (w) => w.env['PGSSLMODE'],
  'database.sslCaFile': (w) => w.env['PGSSLROOTCERT'],
  'database.sslCertFile': (w) => w.env['PGSSLCERT'],
  'database.sslKeyFile': (w) => w.env['PGSSLKEY'],
  'database.poolMinSize': (w) => (w.suite.database.pool.options as { min?: number }).min,
  'database.poolMaxSize': (w) => w.suite.database.pool.options.max,
  'database.statementTimeoutMs': (w) => w.suite.database.clientConfig().statement_timeout,
  'database.connectionTimeoutMs': (w) => w.suite.database.clientConfig().connectionTimeoutMillis,
  'database.applicationName': (w) => w.suite.database.clientConfig().application_name,
  'performance.enabled': (w) => w.suite.features.performance.state === 'active',
  'performance.slowQueryThresholdMs': (w) => w.performance.optimizer.slowQueries?.slowQueryThresholdMs,
  'performance.warningMs': (w) => w.performance.optimizer.slowQueries?.warningMs,
  'performance.criticalMs': (w) => w.performance.optimizer.slowQueries?.criticalMs,
  'performance.snapshotIntervalMs': (w) => w.performance.snapshotIntervalMs,
  'performance.topQueries': (w) => w.performance.optimizer.topQueries,
  'performance.indexAdvisor.enabled': (w) => w.performance.optimizer.advisor?.enabled,
  'performance.indexAdvisor.maxIndexes': (w) => w.performance.optimizer.advisor?.maxIndexes,
  'performance.indexAdvisor.maxIndexSizeBytes': (w) => w.performance.optimizer.advisor?.maxTotalBytes,
  'performance.indexAdvisor.minTableRows': (w) => w.performance.optimizer.advisor?.minTableRows,
  'performance.allowExplainAnalyze': (w) => w.performance.optimizer.analysis?.allowExplainAnalyze,
  'pgbouncer.enabled': (w) => w.suite.features.pgbouncer.state !== 'disabled',
  'pgbouncer.host': (w) => w.pgbouncer.config.listenAddr,
  'pgbouncer.port': (w) => w.pgbouncer.config.listenPort,
  'pgbouncer.poolMode': (w) => w.pgbouncer.config.overrides.poolMode,
  'pgbouncer.maxClientConn': (w) => w.pgbouncer.config.overrides.maxClientConn,
  'pgbouncer.defaultPoolSize': (w) => w.pgbouncer.config.overrides.defaultPoolSize,
  'pgbouncer.adminUser': (w) => w.pgbouncer.config.users[0]?.name,
  'pgbouncer.adminPassword': (w) => w.pgbouncer.config.users[0]?.password,
  'pgbouncer.configPath': (w) => w.pgbouncer.configPath,
  'pgbouncer.binary': (w) => w.pgbouncer.binary,
  'pgbouncer.sslMode': (w) => w.pgbouncer.adminTls.mode,
  'pgbouncer.sslCaFile': (w) => w.pgbouncer.adminTls.caFile,
  'backup.enabled': (w) => w.suite.features.backup.state === 'active',
  'backup.backupType': (w) => w.backup.manager.backupType,
  'backup.storageType': (w) => w.backup.manager.storageType,
  'backup.localPath': (w) => w.backup.manager.localPath,
  'backup.s3Bucket': (w) => w.backup.manager.s3Bucket,
  'backup.s3Region': (w) => w.backup.manager.s3Region,
  'backup.s3Endpoint': (w) => w.backup.manager.s3Endpoint,
  'backup.s3Prefix': (w) => w.backup.manager.s3Prefix,
  'backup.s3ForcePathStyle': (w) => w.backup.manager.s3ForcePathStyle,
  'backup.s3AccessKeyId': (w) => w.backup.manager.s3AccessKeyId,
  'backup.s3SecretAccessKey': (w) => w.backup.manager.s3SecretAccessKey,
  'backup.azureContainer': (w) => w.backup.manager.azureContainer,
  'backup.azureConnectionString': (w) => w.backup.manager.azureConnectionString,
  'backup.gcsBucket': (w) => w.backup.manager.gcsBucket,
  'backup.gcsPrefix': (w) => w.backup.manager.gcsPrefix,
  'backup.gcsProjectId': (w) => w.backup.manager.gcsProjectId,
  'backup.gcsApiEndpoint': (w) => w.backup.manager.gcsApiEndpoint,
  'backup.retentionDays': (w) => w.backup.manager.retentionDays,
  'backup.keepLast': (w) => w.backup.manager.keepLast,
  'backup.gfs.daily': (w) => w.backup.manager.gfs?.daily,
  'backup.gfs.weekly': (w) => w.backup.manager.gfs?.weekly,
  'backup.gfs.monthly': (w) => w.backup.manager.gfs?.monthly,
  'backup.schedule': (w) => w.backup.schedule,
  'backup.verifySchedule': (w) => w.backup.verifySchedule,
  'backup.compression': (w) => w.backup.manager.compression,
  'backup.encryptionEnabled': (w) => w.backup.manager.encryption,
  'backup.encryptionKey': (w) => w.backup.manager.encryptionKey,
  'backup.encryptionRecipients': (w) => w.backup.manager.encryptionRecipients,
  'backup.decryptionKeys': (w) => w.backup.manager.decryptionKeys,
  'backup.jobs': (w) => w.backup.jobs,
  // createBackup reading it from the manager's options: incremental.test.ts "incrementalMaxChain".
  'backup.incrementalMaxChain': (w) => w.backup.manager.incrementalMaxChain,
  // The CLI's use of these (flags over them, the worker started with them): wal-push-async.test.ts.
  'backup.walPushAsync': (w) => w.backup.walPush.async,
  'backup.walSpoolPath': (w) => w.backup.walPush.spoolPath,
  'backup.walPushTimeout': (w) => w.backup.walPush.timeoutSeconds,
  'backup.walPushJobs': (w) => w.backup.walPush.jobs,
  'migrations.enabled': (w) => w.suite.features.migrations.state !== 'disabled',
  'migrations.migrationsDir': (w) => w.migrations.migrationsDir,
  'migrations.tableName': (w) => w.migrations.tableName,
  'migrations.schema': (w) => w.migrations.schema,
  'migrations.lockTimeoutMs': (w) => w.migrations.lockTimeoutMs,
  'migrations.statementTimeoutMs': (w) => w.migrations.statementTimeoutMs,
  'migrations.testFirst': (w) => w.migrations.testFirst,
  'migrations.allowOutOfOrder': (w) => w.migrations.allowOutOfOrder,
  'migrations.lint.enabledRules': (w) => w.migrations.lint?.enabledRules,
  'migrations.lint.disabledRules': (w) => w.migrations.lint?.disabledRules,
  'migrations.lint.namingPattern': (w) => w.migrations.lint?.namingPattern,
  'capacity.enabled': (w) => w.suite.features.capacity.state === 'active',
  'capacity.sampleIntervalMs': (w) => w.capacity.sampleIntervalMs,
  'capacity.schema': (w) => w.capacity.manager.schema,
  'capacity.retentionDays': (w) => w.capacity.manager.retentionDays,
  'capacity.storageLimitBytes': (w) => w.capacity.manager.storageLimitBytes,
  'capacity.warningPercent': (w) => w.capacity.manager.warningPercent,
  'capacity.criticalPercent': (w) => w.capacity.manager.criticalPercent,
  'capacity.daysWarning': (w) => w.capacity.manager.daysWarning,
  'capacity.daysCritical': (w) => w.capacity.manager.daysCritical,
  'capacity.connectionsWarningPercent': (w) => w.capacity.manager.connectionsWarningPercent,
  'capacity.xidAgeWarning': (w) => w.capacity.manager.xidAgeWarning,
  'metrics.prefix': (w) =>
    (w.suite.registry.getSingleMetric('everykey_dbrs_component_health') ? 'everykey_' : undefined) as unknown,
  'logging.level': (w) => w.suite.logger.level,
  environment: (w) => w.suite.config.environment,
};

/** Observed at run time by other tests (file named), because they need a listening server or the CLI. */
const ELSEWHERE: Record<string, string> = {
  'database.url': 'this file, "database.url" test below (a URL wins over host…password, so it is built on its own)',
  'metrics.enabled': 'cli.test.ts / serve.ts: `dbrs serve` starts no /metrics listener when false',
  'metrics.port': 'cli.test.ts: `dbrs serve` listens for /metrics on it (serve.ts)',
  'server.port': 'cli.test.ts: `dbrs serve` listens on it (serve.ts)',
  'server.host': 'cli.test.ts: `dbrs serve` binds to it (serve.ts)',
  'server.apiKey': 'this file, "server keys" test below (suite.serve() requires it)',
  'server.viewerApiKeys':
    'this file, "server keys" test below (a viewer key reads /metrics and /status, and is refused an action)',
  'server.metricsRequireApiKey': 'this file, "server keys" test below (/metrics answers 401 without the key)',
  'server.trustProxy': 'suite-facade.test.ts "serves with the configured trustProxy"',
  'database.stateSchema':
    'test/faults/status-creates-nothing.test.ts: with stateSchema set, every suite table (migration log, capacity history, audit log, maintenance state) is created there',
  'audit.enabled':
    'NOT observed end-to-end: suite.ts gives AuditLog a database only when true (AuditLog has no accessor)',
  'audit.table':
    'NOT observed end-to-end: suite.ts passes it to AuditLog; audit.test.ts covers AuditLog writing to a table',
  'audit.schema':
    'test/faults/status-creates-nothing.test.ts: a configured audit.schema wins over database.stateSchema for the audit log',
};

/** Validated but deliberately without effect, and why. */
const INERT: Record<string, string> = {
  'logging.format': 'only "json" exists: the schema admits one value, kept so the original file loads',
};

describe('every configuration key reaches what uses it', () => {
  let world: World;
  beforeAll(async () => {
    const input: Record<string, Record<string, unknown>> = {};
    for (const [path, value] of Object.entries(VALUES)) {
      if (value === undefined || path === 'environment') continue;
      const parts = path.split('.');
      let node = input as Record<string, unknown>;
      for (const part of parts.slice(0, -1)) {
        node[part] ??= {};
        node = node[part] as Record<string, unknown>;
      }
      node[parts.at(-1)!] = value;
    }
    const config = resolveSuiteConfig({ ...input, environment: 'every-key' });
    // Features off (they would connect); the feature toggles are checked from suite.features, the rest from the mappers.
    const suite = await createDatabaseReliabilitySuite(undefined, config, { connectOnStart: false });
    const ctx = {
      config,
      database: suite.database,
      logger: silentLogger(),
      metrics: suite.metrics,
      audit: suite.audit,
    };
    world = {
      config,
      suite,
      env: libpqEnv(suite.database, { base: {} }),
      backup: backupPlan(ctx),
      performance: performancePlan(ctx),
      capacity: capacityPlan(ctx),
      migrations: migrationsManagerOptions(ctx),
      pgbouncer: pgbouncerManagerOptions(ctx),
    };
  });
  afterAll(async () => {
    await world?.suite.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const leaves = leafKeys(configSchema as unknown as Zod);

  it('lists every leaf of the schema exactly once (observed here, elsewhere, or inert with a reason)', () => {
    expect(leaves.length).toBeGreaterThan(90);
    for (const key of leaves) {
      const places = [key in ARRIVES, key in ELSEWHERE, key in INERT].filter(Boolean).length;
      expect(places, `${key} must be listed in exactly one of ARRIVES, ELSEWHERE, INERT`).toBe(1);
      expect(Object.hasOwn(VALUES, key), `${key} needs a non-default value`).toBe(true);
    }
    const defaults = configSchema.parse({}) as unknown as Record<string, Record<string, unknown>>;
    for (const key of leaves) {
      const parts = key.split('.');
      let d: unknown = defaults;
      for (const p of parts) d = (d as Record<string, unknown> | undefined)?.[p];
      if (VALUES[key] !== undefined && key !== 'logging.format')
        expect(VALUES[key], `${key}: the test value must differ from the default`).not.toEqual(d);
    }
  });

  it('each value set is the value observed', () => {
    for (const [key, observe] of Object.entries(ARRIVES)) {
      const expected = VALUES[key];
      // Feature toggles (`<feature>.enabled`) are seen as whether the suite built the feature.
      expect(observe(world), key).toEqual(expected);
    }
  });

  it('database.url: a URL wins over host…password and is what the pool connects to', async () => {
    const suite = await createDatabaseReliabilitySuite(
      undefined,
      {
        databaseUrl: 'postgres://url_user:pw@db-from-url.internal:6544/from_url',
        logLevel: 'silent',
        performanceEnabled: false,
        backupEnabled: false,
        migrationsEnabled: false,
        capacityEnabled: false,
      },
      { connectOnStart: false },
    );
    try {
      expect(suite.database.info).toMatchObject({
        host: 'db-from-url.internal',
        port: 6544,
        database: 'from_url',
        user: 'url_user',
      });
    } finally {
      await suite.shutdown();
    }
  });

  it('server keys: the API key guards actions and, with metricsRequireApiKey, /metrics', async () => {
    const server = await world.suite.serve({ host: '127.0.0.1', port: 0 });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const ok = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${VALUES['server.apiKey']}` },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('everykey_');
      for (const viewer of VALUES['server.viewerApiKeys'] as string[]) {
        const headers = { authorization: `Bearer ${viewer}` };
        expect((await fetch(`${server.url}/metrics`, { headers })).status).toBe(200);
        const action = await fetch(`${server.url}/actions/maintenance`, { method: 'POST', headers });
        expect(action.status).toBe(403);
        expect(await action.text()).toContain('operator role');
      }
      const stranger = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer not-a-key' } });
      expect(stranger.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
