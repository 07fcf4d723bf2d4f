import {
  AuditLog,
  type CreateMetricsOptions,
  createDatabase,
  createLogger,
  createMetrics,
  type Database,
  type DatabaseInput,
  type DbrsConfig,
  DbrsError,
  databasePingCheck,
  errorMessage,
  HealthRegistry,
  isDbrsError,
  LeaderLock,
  type Logger,
  type Metrics,
  redact,
  redactString,
  resolveDatabase,
  Scheduler,
  silentLogger,
  throwIfAborted,
  withTimeout,
} from '@voicehive/db-core';
import {
  FEATURES,
  type FeatureComponent,
  type FeatureFactory,
  type FeatureInstances,
  type FeatureName,
  type MaintenanceTask,
} from './components/feature.js';
import { FEATURE_FACTORIES } from './components/index.js';
import { stateLocation } from './components/state-schema.js';
import { resolveSuiteConfig, type SuiteConfigInput } from './config.js';
import type { ActionRunOptions } from './http/actions.js';
import type { SuiteHandlerTarget } from './http/handler.js';
import { type RunningServer, type StartServerOptions, startServer } from './http/server.js';
import { type LiveSession, readLiveSessions } from './insights/activity.js';
import { collectPageSections } from './insights/page-sections.js';
import type { QueryDetail } from './insights/query-history.js';
import { readTableMaintenance } from './insights/tables.js';
import { analyzeStaleTablesTask } from './maintenance/analyze-stale.js';
import { type MaintenanceCycleResult, runCycle } from './maintenance/cycle.js';
import { MaintenanceState } from './maintenance/state.js';
import { DurableMetricsRefresher } from './metrics/refresher.js';
import { operatorActions } from './operator/actions.js';
import { type ExplainRequest, type ExplainResult, explainStatement } from './operator/explain.js';
import { deadRowIssues, type LiveThresholds, sessionIssues } from './status/database-issues.js';
import { rankIssues } from './status/rank.js';
import {
  COMPONENT_NAMES,
  type ComponentName,
  type ComponentStatus,
  type ComprehensiveStatus,
  type HealthStatus,
  type StatusIssue,
  type StatusPageData,
} from './status/types.js';

export interface SuiteOptions {
  /** prom-client Registry the suite and every component register on. Default: a new private registry. */
  registry?: CreateMetricsOptions['registry'];
  /** Default: a pino logger at `logging.level`, or silent when `logLevel` is 'silent'. */
  logger?: Logger;
  /** Longest one component's status may take, in ms. Default 5,000. */
  componentTimeoutMs?: number;
  /** How long `shutdown()` waits for running work before aborting it, in ms. Default 10,000. */
  shutdownTimeoutMs?: number;
  /** Interval of the scheduled maintenance cycle, in ms. Default 300,000 (5 minutes). */
  maintenanceIntervalMs?: number;
  /** Start the maintenance scheduler at once. Default false (call `suite.startScheduler()`). */
  autoStart?: boolean;
  /** Name recorded as the actor of audit entries. Default 'suite'. */
  actor?: string;
  /** Check the database is reachable before returning. Default true. */
  connectOnStart?: boolean;
  /**
   * How often the server process re-derives backup, migration and capacity metrics from durable state
   * (catalog, migrations table, sample store), in ms. Default 60,000.
   */
  metricsRefreshIntervalMs?: number;
  /** statement_timeout of the page's explain box (EXPLAIN, and EXPLAIN ANALYZE when allowed), in ms. Default 10,000. */
  explainTimeoutMs?: number;
  /** When long-running, idle-in-transaction and blocked sessions become status issues. Default `LIVE_THRESHOLDS`. */
  liveThresholds?: Partial<LiveThresholds>;
}

export interface MaintenanceCycleOptions {
  signal?: AbortSignal;
  /** Run every task even if it ran recently. Default false. */
  force?: boolean;
  /** Wait for another instance's cycle instead of skipping, in ms. Default 0. */
  lockTimeoutMs?: number;
  actor?: string;
}

export interface DatabaseReliabilitySuite extends SuiteHandlerTarget, AsyncDisposable {
  /** The validated configuration (core's model), whatever spelling it was given in. */
  readonly config: DbrsConfig;
  readonly database: Database;
  readonly metrics: Metrics;
  readonly registry: Metrics['registry'];
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly health: HealthRegistry;
  readonly scheduler: Scheduler;
  /** Feature instances from their packages; undefined when disabled, not available or failed. */
  readonly performance: FeatureInstances['performance'] | undefined;
  readonly backup: FeatureInstances['backup'] | undefined;
  readonly migrations: FeatureInstances['migrations'] | undefined;
  readonly capacity: FeatureInstances['capacity'] | undefined;
  readonly pgbouncer: FeatureInstances['pgbouncer'] | undefined;
  /** Which features are wired, disabled, or not available, and why. */
  readonly features: Record<
    FeatureName,
    { state: 'active' | 'disabled' | 'not_available' | 'failed'; reason?: string }
  >;
  getComprehensiveStatus(options?: { signal?: AbortSignal }): Promise<ComprehensiveStatus>;
  getStatusPageData(options?: { signal?: AbortSignal }): Promise<StatusPageData>;
  checkReady(options?: { signal?: AbortSignal }): Promise<{ ready: boolean; message?: string }>;
  runMaintenanceCycle(options?: MaintenanceCycleOptions): Promise<MaintenanceCycleResult>;
  /** The maintenance tasks this suite runs, in order. */
  maintenanceTasks(): MaintenanceTask[];
  startScheduler(): void;
  /**
   * Derives backup, migration and capacity metrics from durable state once, now. `serve()` does this
   * at start and every `metricsRefreshIntervalMs`; call it when serving /metrics through your own server.
   */
  refreshDurableMetrics(options?: { signal?: AbortSignal }): Promise<void>;
  /** Refresh now and then on the interval until shutdown (what `serve()` does). */
  startMetricsRefresh(): Promise<void>;
  /** Serves the HTTP routes; the server is closed by `shutdown()`. */
  serve(options?: StartServerOptions): Promise<RunningServer>;
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * One call that wires core and every enabled feature package against one
 * database. `config` takes the original system's flat keys in camelCase
 * (`poolMaxSize`, `backupType`, `backupS3Bucket`, …), sections of core's
 * model, or a `loadConfig()` result; it is validated whole, by core's schema,
 * before anything connects. TLS settings (`sslMode`, `sslCaFile`, …) apply to
 * a URL given here too; they must agree with the URL's own `sslmode`.
 */
export async function createDatabaseReliabilitySuite(
  databaseUrl: DatabaseInput | undefined,
  config: SuiteConfigInput = {},
  options: SuiteOptions = {},
): Promise<DatabaseReliabilitySuite> {
  const cfg = resolveSuiteConfig(config);
  const logger =
    options.logger ??
    (cfg.logging.level === 'silent' ? silentLogger() : createLogger({ level: cfg.logging.level, component: 'dbrs' }));
  const metrics = createMetrics({ registry: options.registry, prefix: cfg.metrics.prefix });
  const { database, owned: ownsDatabase } = openDatabase(databaseUrl, cfg.database, logger);
  const suite = new Suite({ config: cfg, database, ownsDatabase, metrics, logger, options });
  try {
    if (options.connectOnStart ?? true) await database.ping();
    await suite.init();
  } catch (err) {
    await suite.shutdown({ timeoutMs: 1_000 }).catch(() => {});
    throw err;
  }
  if (options.autoStart) suite.startScheduler();
  return suite;
}

/**
 * The database from the argument, else `database.url`, else the fields.
 * Every pool setting and the TLS fields come from the model (exhaustively:
 * an unconsumed key of `database` is a compile error). A Database or pg.Pool
 * passed in is used as it is, with its own settings.
 */
function openDatabase(
  input: DatabaseInput | undefined,
  section: DbrsConfig['database'],
  logger: Logger,
): { database: Database; owned: boolean } {
  const {
    url,
    host,
    port,
    name,
    user,
    password,
    sslMode,
    sslCaFile,
    sslCertFile,
    sslKeyFile,
    poolMinSize,
    poolMaxSize,
    statementTimeoutMs,
    connectionTimeoutMs,
    applicationName,
    // Not a connection setting: the suite's state tables read it (stateLocation, MaintenanceState).
    stateSchema: _readByStateTables,
    ...unconsumed
  } = section;
  unconsumed satisfies Record<string, never>;
  const options = {
    poolMin: poolMinSize,
    poolMax: poolMaxSize,
    statementTimeoutMs,
    connectionTimeoutMs,
    applicationName,
    sslMode,
    sslCaFile,
    sslCertFile,
    sslKeyFile,
    logger,
  };
  if (input !== undefined) return resolveDatabase(input, options);
  if (url) return { database: createDatabase(url, options), owned: true };
  return { database: createDatabase({ host, port, name, user, password }, options), owned: true };
}

const HEALTH_VALUE: Record<HealthStatus, number> = { healthy: 1, degraded: 0.5, unhealthy: 0 };
/** What createDatabaseReliabilitySuite() resolved and hands to the suite it builds. */
interface SuiteParts {
  config: DbrsConfig;
  database: Database;
  /** True when the suite opened the pool (from a URL) and so must close it. */
  ownsDatabase: boolean;
  metrics: Metrics;
  logger: Logger;
  options: SuiteOptions;
}

class Suite implements DatabaseReliabilitySuite {
  readonly config: DbrsConfig;
  readonly database: Database;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly health = new HealthRegistry();
  readonly scheduler: Scheduler;
  readonly features = {} as DatabaseReliabilitySuite['features'];
  readonly #ownsDatabase: boolean;
  readonly #options: SuiteOptions;
  readonly #components = new Map<FeatureName, FeatureComponent>();
  /** Typed access: each key's component has its own feature's instance. */
  #component<N extends FeatureName>(name: N): FeatureComponent<N> | undefined {
    // The Map is filled by name from FEATURE_FACTORIES[name], so the entry for N is a FeatureComponent<N>.
    return this.#components.get(name) as FeatureComponent<N> | undefined;
  }
  readonly #lock: LeaderLock;
  readonly #state: MaintenanceState;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #servers: RunningServer[] = [];
  readonly #coreTasks: MaintenanceTask[];
  #schedulerStarted = false;
  #refresher: DurableMetricsRefresher | undefined;
  #shutdown: Promise<void> | undefined;

  constructor(parts: SuiteParts) {
    const { config, database, ownsDatabase, metrics, logger, options } = parts;
    this.config = config;
    this.database = database;
    this.#ownsDatabase = ownsDatabase;
    this.metrics = metrics;
    this.logger = logger.child({ component: 'suite' });
    this.#options = options;
    this.audit = new AuditLog({
      logger,
      metrics,
      ...(config.audit.enabled
        ? { database, table: config.audit.table, ...stateLocation(config, config.audit.schema) }
        : {}),
    });
    // Per database: two databases on one server must not exclude each other's maintenance.
    this.#lock = new LeaderLock(database, { name: `dbrs:maintenance:${database.info.database}`, logger });
    this.#state = new MaintenanceState(database, { schema: config.database.stateSchema });
    this.scheduler = new Scheduler({ logger });
    this.#coreTasks = [analyzeStaleTablesTask(database)];
    this.health.register(databasePingCheck(database, { timeoutMs: options.componentTimeoutMs ?? 5_000 }));
    // Registered up front so /metrics and the dashboards see every series name from the start.
    this.#suiteMetrics();
  }

  get registry() {
    return this.metrics.registry;
  }
  get performance(): FeatureInstances['performance'] | undefined {
    return this.#component('performance')?.instance;
  }
  get backup(): FeatureInstances['backup'] | undefined {
    return this.#component('backup')?.instance;
  }
  get migrations(): FeatureInstances['migrations'] | undefined {
    return this.#component('migrations')?.instance;
  }
  get capacity(): FeatureInstances['capacity'] | undefined {
    return this.#component('capacity')?.instance;
  }
  get pgbouncer(): FeatureInstances['pgbouncer'] | undefined {
    return this.#component('pgbouncer')?.instance;
  }

  get actions(): SuiteHandlerTarget['actions'] {
    const actions: NonNullable<SuiteHandlerTarget['actions']> = {
      maintenance: {
        label: 'Run maintenance cycle',
        run: ({ actor, signal }) => this.runMaintenanceCycle({ actor, signal }),
      },
      ...operatorActions({
        database: this.database,
        audit: this.audit,
        ownApplication: this.config.database.applicationName,
        queryStats: this.#components.has('performance'),
      }),
    };
    for (const c of this.#components.values()) Object.assign(actions, c.actions?.() ?? {});
    // Page actions are tracked and aborted by shutdown like any other work.
    return Object.fromEntries(
      Object.entries(actions).map(([id, a]) => [
        id,
        {
          ...a,
          run: (o: ActionRunOptions) =>
            this.#track(
              a.run({ ...o, signal: o.signal ? AbortSignal.any([o.signal, this.#abort.signal]) : this.#abort.signal }),
            ),
        },
      ]),
    );
  }

  /** One statement for its own page; undefined when unknown, or without the performance component. */
  async getQueryDetail(queryHash: string, options: { signal?: AbortSignal } = {}): Promise<QueryDetail | undefined> {
    this.#assertOpen();
    const perf = this.#components.get('performance');
    if (!perf?.queryDetail) return undefined;
    const timeoutMs = this.#options.componentTimeoutMs ?? 5_000;
    return withTimeout({ what: 'The query page', timeoutMs, signal: options.signal }, (signal) =>
      perf.queryDetail!(queryHash, signal),
    );
  }

  /** One live session of this database for its own page; undefined when it has ended, is idle, or is the suite's. */
  async getLiveSession(pid: number, options: { signal?: AbortSignal } = {}): Promise<LiveSession | undefined> {
    this.#assertOpen();
    const timeoutMs = this.#options.componentTimeoutMs ?? 5_000;
    const sessions = await withTimeout({ what: 'The session page', timeoutMs, signal: options.signal }, (signal) =>
      readLiveSessions(this.database, { excludeApplication: this.config.database.applicationName, signal }),
    );
    return sessions.find((s) => s.pid === pid);
  }

  get explainAnalyzeAllowed(): boolean {
    return this.config.performance.allowExplainAnalyze;
  }

  /** The page's explain box: one statement, read-only, bounded; ANALYZE only when the configuration allows it. */
  explain(request: ExplainRequest): Promise<ExplainResult> {
    this.#assertOpen();
    return this.#track(
      explainStatement(
        {
          database: this.database,
          audit: this.audit,
          allowAnalyze: this.config.performance.allowExplainAnalyze,
          timeoutMs: this.#options.explainTimeoutMs ?? 10_000,
        },
        {
          ...request,
          signal: request.signal ? AbortSignal.any([request.signal, this.#abort.signal]) : this.#abort.signal,
        },
      ),
    );
  }

  async init(): Promise<void> {
    for (const name of FEATURES) {
      if (!this.config[name].enabled) {
        this.features[name] = { state: 'disabled', reason: `Switched off by configuration (${name}.enabled = false).` };
        continue;
      }
      const factory: FeatureFactory = FEATURE_FACTORIES[name];
      try {
        const built = await factory({
          database: this.database,
          config: this.config,
          metrics: this.metrics,
          logger: this.logger,
          audit: this.audit,
          signal: this.#abort.signal,
        });
        if ('unavailable' in built) {
          this.features[name] = { state: 'not_available', reason: built.unavailable };
          continue;
        }
        await built.component.initialize(this.#abort.signal);
        this.#components.set(name, built.component);
        this.features[name] = { state: 'active' };
      } catch (err) {
        if (isDbrsError(err, 'CONFIG_INVALID')) throw err;
        const reason = redactString(errorMessage(err));
        this.features[name] = { state: 'failed', reason };
        this.logger.error({ event: 'feature_init_failed', feature: name, err }, `${name} failed to initialise`);
      }
    }
    this.scheduler.add({
      name: 'maintenance-cycle',
      intervalMs: this.#options.maintenanceIntervalMs ?? 300_000,
      jitterMs: 10_000,
      run: ({ signal }) => this.runMaintenanceCycle({ signal, actor: 'scheduler' }),
    });
  }

  maintenanceTasks(): MaintenanceTask[] {
    // Capacity samples first so the cycle's own work does not skew them.
    const order = [
      'capacity',
      'performance',
      'backup',
      'migrations',
      'pgbouncer',
    ] as const satisfies readonly FeatureName[];
    return [...order.flatMap((n) => this.#components.get(n)?.tasks() ?? []), ...this.#coreTasks];
  }

  startScheduler(): void {
    this.#assertOpen();
    if (this.#schedulerStarted) return;
    this.#schedulerStarted = true;
    this.scheduler.start();
  }

  #durableMetrics(): DurableMetricsRefresher {
    this.#refresher ??= new DurableMetricsRefresher({
      sources: [
        ...[...this.#components.values()]
          .filter((c) => c.durableMetrics)
          .map((c) => ({ name: c.name, refresh: (signal: AbortSignal) => c.durableMetrics!(signal) })),
        // Component health and the performance series are set by a status read; without one nobody
        // who only scrapes /metrics would ever see them.
        {
          name: 'status',
          background: true,
          refresh: async (signal: AbortSignal) => {
            const s = await this.getComprehensiveStatus({ signal });
            return { overallHealth: s.overallHealth, issues: s.issues.length };
          },
        },
      ],
      metrics: this.metrics,
      logger: this.logger,
    });
    return this.#refresher;
  }

  refreshDurableMetrics(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#assertOpen();
    return this.#track(this.#durableMetrics().refresh(options.signal));
  }

  startMetricsRefresh(): Promise<void> {
    this.#assertOpen();
    return this.#track(this.#durableMetrics().start(this.#options.metricsRefreshIntervalMs ?? 60_000));
  }

  async checkReady(options: { signal?: AbortSignal } = {}): Promise<{ ready: boolean; message?: string }> {
    try {
      await this.database.ping({ signal: options.signal });
      return { ready: true };
    } catch (err) {
      return { ready: false, message: redactString(errorMessage(err)) };
    }
  }

  async getComprehensiveStatus(options: { signal?: AbortSignal } = {}): Promise<ComprehensiveStatus> {
    this.#assertOpen();
    // An aborted caller gets ABORTED, not a status whose every component reads "aborted".
    throwIfAborted(options.signal, 'status read');
    const timeoutMs = this.#options.componentTimeoutMs ?? 5_000;
    const components = {} as Record<ComponentName, ComponentStatus>;
    const issues: StatusIssue[] = [];
    const dbReport = await this.health.run({ signal: options.signal, only: ['database'] });
    const dbCheck = dbReport.checks[0]!;
    components.database = {
      status: dbCheck.status,
      durationMs: dbCheck.durationMs,
      ...(dbCheck.message ? { message: dbCheck.message } : {}),
      details: {
        ...(dbCheck.details ?? {}),
        database: this.database.info.database,
        pool: {
          total: this.database.pool.totalCount,
          idle: this.database.pool.idleCount,
          waiting: this.database.pool.waitingCount,
          max: this.config.database.poolMaxSize,
        },
      },
    };
    if (dbCheck.status === 'unhealthy') {
      issues.push({
        severity: 'critical',
        component: 'database',
        message: dbCheck.message ?? 'The database is unreachable.',
        action:
          'Check that PostgreSQL is running and the connection settings (DB_HOST, DB_PORT, credentials) are right.',
      });
    }
    if (dbCheck.status !== 'unhealthy') {
      const live = await this.#liveDatabaseIssues(timeoutMs, options.signal);
      issues.push(...live);
      if (components.database.status === 'healthy' && live.some((i) => i.severity !== 'info'))
        components.database = {
          ...components.database,
          status: 'degraded',
          message: `${live.filter((i) => i.severity !== 'info').length} finding(s) in live sessions or table maintenance`,
        };
    }
    if (this.database.pool.waitingCount > 0) {
      issues.push({
        severity: 'warning',
        component: 'database',
        message: `${this.database.pool.waitingCount} requests are waiting for a pool connection.`,
        action: 'Raise poolMaxSize or put pgBouncer in front of the database.',
      });
    }
    await Promise.all(
      FEATURES.map(async (name) => {
        const feature = this.features[name];
        const component = this.#components.get(name);
        if (!component) {
          components[name] = {
            status: feature.state === 'failed' ? 'unhealthy' : (feature.state as 'disabled' | 'not_available'),
            durationMs: 0,
            ...(feature.reason ? { message: feature.reason } : {}),
          };
          if (feature.state === 'failed')
            issues.push({
              severity: 'warning',
              component: name,
              message: `${name} failed to start: ${feature.reason}`,
              action: 'Fix the cause named here and restart the service.',
            });
          return;
        }
        const t0 = performance.now();
        try {
          const s = await withTimeout({ what: `The ${name} status`, timeoutMs, signal: options.signal }, (signal) =>
            component.status(signal),
          );
          components[name] = {
            status: s.status,
            durationMs: performance.now() - t0,
            ...(s.message ? { message: s.message } : {}),
            ...(s.details ? { details: s.details } : {}),
          };
          issues.push(...(s.issues ?? []));
        } catch (err) {
          const message = redactString(errorMessage(err));
          components[name] = { status: 'unhealthy', durationMs: performance.now() - t0, message };
          issues.push({
            severity: 'warning',
            component: name,
            message: `The ${name} status could not be read: ${message}`,
            action: isDbrsError(err, 'TIMEOUT')
              ? 'Look for slow catalog queries or locks; the status is bounded so the rest still reports.'
              : 'See the service log for the cause.',
          });
        }
      }),
    );
    // Aborted mid-read (each component already stopped): ABORTED, not a status whose components read "aborted".
    throwIfAborted(options.signal, 'status read');
    const ordered = Object.fromEntries(COMPONENT_NAMES.map((n) => [n, components[n]])) as Record<
      ComponentName,
      ComponentStatus
    >;
    const overallHealth = overall(ordered);
    const gauge = this.#suiteMetrics().health;
    for (const [name, c] of Object.entries(ordered)) {
      if (c.status in HEALTH_VALUE) gauge.set({ component: name }, HEALTH_VALUE[c.status as HealthStatus]);
    }
    return redact({
      overallHealth,
      components: ordered,
      issues: rankIssues(issues),
      generatedAt: new Date().toISOString(),
    });
  }

  /** Sessions and dead rows, read live (not from a cached report): a blocked session matters now. */
  async #liveDatabaseIssues(timeoutMs: number, signal?: AbortSignal): Promise<StatusIssue[]> {
    try {
      return await withTimeout(
        { what: 'Reading live sessions and table maintenance', timeoutMs, signal },
        async (s) => {
          const [sessions, tables] = await Promise.all([
            readLiveSessions(this.database, { excludeApplication: this.config.database.applicationName, signal: s }),
            readTableMaintenance(this.database, { order: 'dead', limit: 50, signal: s }),
          ]);
          return [...sessionIssues(sessions, this.#options.liveThresholds), ...deadRowIssues(tables)];
        },
      );
    } catch (err) {
      const message = redactString(errorMessage(err));
      this.logger.warn({ event: 'live_status_failed', err: message }, 'live session status could not be read');
      return [
        {
          severity: 'info',
          component: 'database',
          message: `Live sessions and table maintenance could not be read: ${message}`,
          action: 'Grant pg_read_all_stats to the suite role so it sees other sessions.',
        },
      ];
    }
  }

  async getStatusPageData(options: { signal?: AbortSignal } = {}): Promise<StatusPageData> {
    const status = await this.getComprehensiveStatus(options);
    const timeoutMs = this.#options.componentTimeoutMs ?? 5_000;
    const unavailable: NonNullable<StatusPageData['unavailable']> = {};
    const section = async <T>(
      key: keyof typeof unavailable,
      feature: FeatureName,
      get: ((c: FeatureComponent, signal: AbortSignal) => Promise<T>) | undefined,
      fallback: T,
    ): Promise<T> => {
      const c = this.#components.get(feature);
      if (!c || !get) {
        unavailable[key] = this.features[feature].reason ?? `${feature} does not provide this section.`;
        return fallback;
      }
      try {
        return await withTimeout({ what: `The ${key} section`, timeoutMs, signal: options.signal }, (signal) =>
          get(c, signal),
        );
      } catch (err) {
        unavailable[key] = `Could not load: ${redactString(errorMessage(err))}`;
        return fallback;
      }
    };
    const perf = this.#components.get('performance');
    const backup = this.#components.get('backup');
    const cap = this.#components.get('capacity');
    const [slowQueries, indexRecommendations, backups, capacity] = await Promise.all([
      section('slowQueries', 'performance', perf?.slowQueries ? (c, s) => c.slowQueries!(s) : undefined, []),
      section(
        'indexRecommendations',
        'performance',
        perf?.indexRecommendations ? (c, s) => c.indexRecommendations!(s) : undefined,
        [],
      ),
      section('backups', 'backup', backup?.backups ? (c, s) => c.backups!(s) : undefined, []),
      section('capacity', 'capacity', cap?.capacityChart ? (c, s) => c.capacityChart!(s) : undefined, undefined),
    ]);
    const pages = await this.#pageSections(timeoutMs, options.signal);
    Object.assign(unavailable, pages.unavailable);
    return redact({
      status,
      slowQueries,
      indexRecommendations,
      backups,
      sections: pages.sections,
      ...(capacity ? { capacity } : {}),
      ...(Object.keys(unavailable).length ? { unavailable } : {}),
    });
  }

  /** The page's PgHero-style sections, each bounded like a component status. */
  async #pageSections(timeoutMs: number, signal?: AbortSignal) {
    const perf = this.#components.get('performance');
    const cap = this.#components.get('capacity');
    try {
      return await withTimeout({ what: 'The page sections', timeoutMs, signal }, (s) =>
        collectPageSections({
          database: this.database,
          excludeApplication: this.config.database.applicationName,
          pool: {
            total: this.database.pool.totalCount,
            idle: this.database.pool.idleCount,
            waiting: this.database.pool.waitingCount,
            max: this.config.database.poolMaxSize,
          },
          sources: {
            ...(perf?.pageSections ? { performance: (x: AbortSignal) => perf.pageSections!(x) } : {}),
            ...(cap?.sizeGrowth ? { growth: (x: AbortSignal) => cap.sizeGrowth!(x) } : {}),
          },
          signal: s,
        }),
      );
    } catch (err) {
      const reason = `Could not load: ${redactString(errorMessage(err))}`;
      return { sections: {}, unavailable: { queries: reason, live: reason, space: reason } };
    }
  }

  runMaintenanceCycle(options: MaintenanceCycleOptions = {}): Promise<MaintenanceCycleResult> {
    this.#assertOpen();
    const signal = options.signal ? AbortSignal.any([options.signal, this.#abort.signal]) : this.#abort.signal;
    const { runs, lastSuccess } = this.#suiteMetrics();
    const p = runCycle({
      tasks: this.maintenanceTasks(),
      lock: this.#lock,
      state: this.#state,
      audit: this.audit,
      logger: this.logger,
      actor: options.actor ?? this.#options.actor ?? 'suite',
      signal,
      lockTimeoutMs: options.lockTimeoutMs,
      force: options.force,
      onTask: (r) => {
        runs.inc({ task: r.task, outcome: r.outcome });
        if (r.outcome === 'completed') lastSuccess.set({ task: r.task }, Date.now() / 1000);
      },
    });
    return this.#track(p);
  }

  async serve(options: StartServerOptions = {}): Promise<RunningServer> {
    this.#assertOpen();
    const server = await startServer(this, {
      apiKey: this.config.server.apiKey,
      roles: { viewer: [...this.config.server.viewerApiKeys] },
      metricsRequireApiKey: this.config.server.metricsRequireApiKey,
      trustProxy: this.config.server.trustProxy,
      logger: this.logger,
      ...options,
    });
    this.#servers.push(server);
    // Whoever serves /metrics exports what durable state says, from the first scrape on; a slow
    // storage or status read does not hold up serving for more than a few seconds.
    if (!this.#durableMetrics().running) {
      const first = this.startMetricsRefresh();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([first, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
    }
    return server;
  }

  shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#shutdown ??= this.#doShutdown(options.timeoutMs ?? this.#options.shutdownTimeoutMs ?? 10_000);
    return this.#shutdown;
  }

  /** The same as shutdown(): every resource owner of the library closes with close(). */
  close(): Promise<void> {
    return this.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #doShutdown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.allSettled(this.#servers.map((s) => s.close()));
    await this.scheduler.stop({ timeoutMs });
    // stop() aborts the refresher's reads at once; waiting for them counts against the same
    // deadline as other work, so a status read slow to notice the abort cannot hold the
    // process past its shutdown timeout (it did: dbrs serve took over 50 s to exit on SIGTERM).
    const refresherStopped = this.#refresher?.stop();
    const running = () => [...this.#inFlight, ...(refresherStopped ? [refresherStopped] : [])];
    if (running().length > 0) {
      const left = Math.max(0, deadline - Date.now());
      const timedOut = await Promise.race([
        Promise.allSettled(running()).then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), left).unref()),
      ]);
      if (timedOut)
        this.logger.warn(
          { event: 'shutdown_abort', running: this.#inFlight.size },
          'aborting work still running at shutdown',
        );
    }
    this.#abort.abort(new DbrsError('ABORTED', 'The suite is shutting down.'));
    await Promise.allSettled([...this.#inFlight]);
    for (const c of [...this.#components.values()].reverse()) {
      await c
        .close()
        .catch((err) => this.logger.warn({ event: 'component_close_failed', component: c.name, err }, 'close failed'));
    }
    await this.#lock.close().catch(() => {});
    if (this.#ownsDatabase) await this.database.close();
  }

  /** The suite's own metrics (get-or-create, so calling this again is cheap). */
  #suiteMetrics() {
    return {
      health: this.metrics.gauge({
        name: 'dbrs_component_health',
        help: 'Health per component: 1 healthy, 0.5 degraded, 0 unhealthy.',
        labelNames: ['component'],
      }),
      runs: this.metrics.counter({
        name: 'dbrs_maintenance_task_runs_total',
        help: 'Maintenance task runs by outcome.',
        labelNames: ['task', 'outcome'],
      }),
      lastSuccess: this.metrics.gauge({
        name: 'dbrs_maintenance_last_success_timestamp_seconds',
        help: 'When each maintenance task last completed (Unix seconds).',
        labelNames: ['task'],
      }),
    };
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight.add(p);
    const done = () => this.#inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  #assertOpen(): void {
    if (this.#shutdown) throw new DbrsError('CLOSED', 'The suite has been shut down.', { hint: 'Create a new suite.' });
  }
}

function overall(components: Record<ComponentName, ComponentStatus>): HealthStatus {
  const db = components.database.status;
  if (db === 'unhealthy') return 'unhealthy';
  const rest = Object.values(components).map((c) => c.status);
  if (rest.some((s) => s === 'unhealthy' || s === 'degraded')) return 'degraded';
  return 'healthy';
}
