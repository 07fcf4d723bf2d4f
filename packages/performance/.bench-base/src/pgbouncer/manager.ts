import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { chmod, chown, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DbrsError,
  errorMessage,
  type Logger,
  type Metrics,
  silentLogger,
  type TlsSettings,
  throwIfAborted,
} from '@voicehive/db-core';
import { findExecutable } from '@voicehive/db-core/internal';
import { type PgBouncerSnapshot, readPgBouncerAdmin, reloadViaAdmin } from './admin.js';
import { advisePoolSizes, type PoolAdvice, type PoolAdviceOptions } from './advice.js';
import { type PgBouncerConfigInput, type RenderedPgBouncerConfig, renderPgBouncerConfig } from './config.js';

export interface PgBouncerManagerOptions {
  config: PgBouncerConfigInput;
  /**
   * Whether this process may start PgBouncer. Default: the PGBOUNCER_ENABLED
   * environment variable is `true` or `1`. Reading stats works either way.
   */
  enabled?: boolean;
  /** Default: `/usr/sbin/pgbouncer`, else `pgbouncer` on PATH. */
  binary?: string;
  /** Where pgbouncer.ini and userlist.txt are written. Default: a new temp directory. */
  workDir?: string;
  /** Admin console URL (`postgres://admin@127.0.0.1:6432/pgbouncer`). Default: built from the config's first admin user. */
  adminUrl?: string;
  /** TLS to the admin console (libpq's modes). Default: the admin URL's `sslmode`, else none. */
  adminTls?: TlsSettings;
  /** Where pgbouncer.ini is written (userlist.txt beside it). Default: `pgbouncer.ini` in `workDir`. */
  configPath?: string;
  /** PgBouncer refuses to run as root: when root, it is started with `-u <runAsUser>`. Default `'postgres'`. */
  runAsUser?: string;
  logger?: Logger;
  metrics?: Metrics;
  advice?: PoolAdviceOptions;
}

function findBinary(explicit: string | undefined): string | undefined {
  return findExecutable('pgbouncer', {
    candidates: [explicit, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'],
    searchPath: false,
  });
}

function waitForPort(host: string, port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const gone = exited();
      if (gone !== undefined) {
        reject(new Error(gone));
        return;
      }
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} did not open within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Renders PgBouncer's configuration for a workload profile, runs PgBouncer
 * when enabled (reloading it after a configuration change), and reads its
 * admin console into metrics and pool-size advice.
 */
export class PgBouncerManager implements AsyncDisposable {
  #config: PgBouncerConfigInput;
  readonly #options: PgBouncerManagerOptions;
  readonly #logger: Logger;
  readonly #workDir: string;
  #child: ChildProcess | undefined;
  #stderr = '';
  #gauges: PgBouncerGauges | undefined;

  constructor(options: PgBouncerManagerOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'pgbouncer' });
    this.#workDir =
      options.workDir ??
      (options.configPath ? dirname(options.configPath) : mkdtempSync(join(tmpdir(), 'dbrs-pgbouncer-')));
    renderPgBouncerConfig(this.#config);
    if (options.metrics) this.#gauges = createPgBouncerGauges(options.metrics);
  }

  get enabled(): boolean {
    return (
      this.#options.enabled ?? ['1', 'true'].includes(String(process.env['PGBOUNCER_ENABLED'] ?? '').toLowerCase())
    );
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get configPath(): string {
    return this.#options.configPath ?? join(this.#workDir, 'pgbouncer.ini');
  }

  get adminUrl(): string {
    if (this.#options.adminUrl) return this.#options.adminUrl;
    const admin = this.#config.adminUsers?.[0] ?? this.#config.users[0]!.name;
    const user = this.#config.users.find((u) => u.name === admin);
    const auth =
      user?.password && !user.password.startsWith('SCRAM-') && !user.password.startsWith('md5')
        ? `${encodeURIComponent(admin)}:${encodeURIComponent(user.password)}`
        : encodeURIComponent(admin);
    const host = !this.#config.listenAddr || this.#config.listenAddr === '*' ? '127.0.0.1' : this.#config.listenAddr;
    return `postgres://${auth}@${host}:${this.#config.listenPort ?? 6432}/pgbouncer`;
  }

  render(): RenderedPgBouncerConfig {
    return renderPgBouncerConfig({
      ...this.#config,
      authFile: this.#config.authFile ?? join(this.#workDir, 'userlist.txt'),
    });
  }

  /** Writes pgbouncer.ini and userlist.txt (mode 0600, owned by the user PgBouncer runs as). */
  async writeConfig(): Promise<{ iniPath: string; userlistPath: string }> {
    const rendered = this.render();
    const userlistPath = join(this.#workDir, 'userlist.txt');
    await writeFile(this.configPath, rendered.ini, { mode: 0o600 });
    await writeFile(userlistPath, rendered.userlist, { mode: 0o600 });
    if (process.getuid?.() === 0) {
      const ids = await userIds(this.#options.runAsUser ?? 'postgres');
      if (ids) {
        await chown(this.#workDir, ids.uid, ids.gid);
        for (const p of [this.configPath, userlistPath]) await chown(p, ids.uid, ids.gid);
      } else {
        for (const p of [this.configPath, userlistPath]) await chmod(p, 0o644);
      }
    }
    return { iniPath: this.configPath, userlistPath };
  }

  async start(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    if (!this.enabled) {
      throw new DbrsError('UNSUPPORTED', 'PgBouncer management is disabled.', {
        hint: 'Set PGBOUNCER_ENABLED=true or pass enabled: true.',
      });
    }
    if (this.running) return;
    throwIfAborted(options.signal, 'pgbouncer start');
    const binary = findBinary(this.#options.binary);
    if (!binary)
      throw new DbrsError('TOOL_MISSING', 'The pgbouncer binary was not found.', {
        hint: 'Install it (apt-get install pgbouncer) or pass binary.',
      });
    await this.writeConfig();
    const args =
      process.getuid?.() === 0 ? ['-u', this.#options.runAsUser ?? 'postgres', this.configPath] : [this.configPath];
    this.#stderr = '';
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    const exited = () =>
      child.exitCode !== null || child.signalCode !== null
        ? `pgbouncer exited: ${this.#stderr.trim().split('\n').at(-1) ?? ''}`
        : undefined;
    try {
      const host = !this.#config.listenAddr || this.#config.listenAddr === '*' ? '127.0.0.1' : this.#config.listenAddr;
      await waitForPort(host, this.#config.listenPort ?? 6432, options.timeoutMs ?? 10_000, exited);
    } catch (err) {
      child.kill('SIGKILL');
      this.#child = undefined;
      throw new DbrsError('PGBOUNCER_FAILED', `PgBouncer did not start: ${errorMessage(err)}.`, {
        cause: err,
        hint: 'Check the rendered config and that the port is free.',
      });
    }
    this.#logger.info(
      { event: 'pgbouncer_started', pid: child.pid, port: this.#config.listenPort ?? 6432 },
      'pgbouncer started',
    );
  }

  /** Applies a new configuration: re-renders, rewrites the files and reloads the running PgBouncer (SIGHUP). */
  async updateConfig(config: PgBouncerConfigInput): Promise<void> {
    renderPgBouncerConfig(config);
    this.#config = config;
    if (this.running) await this.reload();
  }

  async reload(): Promise<void> {
    await this.writeConfig();
    if (this.running) this.#child!.kill('SIGHUP');
    else await reloadViaAdmin(this.adminUrl, this.#options.adminTls ? { tls: this.#options.adminTls } : {});
    this.#logger.info({ event: 'pgbouncer_reloaded' }, 'pgbouncer reloaded');
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // SIGINT is PgBouncer's safe shutdown (waits for queries); SIGTERM is immediate.
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    await done;
    clearTimeout(timer);
    this.#child = undefined;
    this.#logger.info({ event: 'pgbouncer_stopped' }, 'pgbouncer stopped');
  }

  /** SHOW POOLS / STATS / CLIENTS / CONFIG / DATABASES, recorded as metrics. */
  async readStats(options: { signal?: AbortSignal } = {}): Promise<PgBouncerSnapshot> {
    const snapshot = await readPgBouncerAdmin(this.adminUrl, {
      ...options,
      ...(this.#options.adminTls ? { tls: this.#options.adminTls } : {}),
    });
    if (this.#gauges) recordPgBouncerMetrics(this.#gauges, snapshot);
    return snapshot;
  }

  advise(snapshot: PgBouncerSnapshot): PoolAdvice[] {
    return advisePoolSizes(snapshot, this.#options.advice);
  }

  async close(): Promise<void> {
    await this.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const { readFile } = await import('node:fs/promises');
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const parts = line.split(':');
  return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

type PgBouncerGauges = Record<
  'waiting' | 'active' | 'serverActive' | 'serverIdle' | 'maxwait' | 'queries' | 'xacts' | 'waitSeconds',
  ReturnType<Metrics['gauge']>
>;

export function createPgBouncerGauges(metrics: Metrics): PgBouncerGauges {
  return {
    waiting: metrics.gauge({
      name: 'pgbouncer_pools_client_waiting_connections',
      help: 'Clients waiting for a server connection.',
      labelNames: ['database', 'user'],
    }),
    active: metrics.gauge({
      name: 'pgbouncer_pools_client_active_connections',
      help: 'Clients linked to a server connection.',
      labelNames: ['database', 'user'],
    }),
    serverActive: metrics.gauge({
      name: 'pgbouncer_pools_server_active_connections',
      help: 'Server connections linked to a client.',
      labelNames: ['database', 'user'],
    }),
    serverIdle: metrics.gauge({
      name: 'pgbouncer_pools_server_idle_connections',
      help: 'Idle server connections.',
      labelNames: ['database', 'user'],
    }),
    maxwait: metrics.gauge({
      name: 'pgbouncer_pools_client_maxwait_seconds',
      help: 'Longest wait of a queued client.',
      labelNames: ['database', 'user'],
    }),
    queries: metrics.gauge({
      name: 'pgbouncer_stats_queries_pooled_total',
      help: 'Queries pooled since PgBouncer started (SHOW STATS total_query_count).',
      labelNames: ['database'],
    }),
    xacts: metrics.gauge({
      name: 'pgbouncer_stats_sql_transactions_pooled_total',
      help: 'Transactions pooled since start.',
      labelNames: ['database'],
    }),
    waitSeconds: metrics.gauge({
      name: 'pgbouncer_stats_client_wait_seconds_total',
      help: 'Time clients spent waiting for a server.',
      labelNames: ['database'],
    }),
  };
}

export function recordPgBouncerMetrics(g: PgBouncerGauges, s: PgBouncerSnapshot): void {
  for (const p of s.pools) {
    const l = { database: p.database, user: p.user };
    g.waiting.set(l, p.clWaiting);
    g.active.set(l, p.clActive);
    g.serverActive.set(l, p.svActive);
    g.serverIdle.set(l, p.svIdle);
    g.maxwait.set(l, p.maxwaitSeconds);
  }
  for (const st of s.stats) {
    g.queries.set({ database: st.database }, st.totalQueryCount);
    g.xacts.set({ database: st.database }, st.totalXactCount);
    g.waitSeconds.set({ database: st.database }, st.totalWaitTimeUs / 1e6);
  }
}
