import { createRequire } from 'node:module';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { abortError, DbrsError, throwIfAborted } from '../errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { guardPoolClients } from './client-errors.js';
import { type ConnectionInfo, parseDatabaseUrl, type SslMode } from './connection-info.js';
import { mapDatabaseError } from './map-error.js';
import { tagSql } from './statement-tag.js';
import { nodeTlsOptions, resolveTls, type TlsInput, type TlsSettings, tlsFromUrlParams } from './tls.js';

const requireHere = createRequire(import.meta.url);
const loadKysely = (): typeof import('kysely') => requireHere('kysely') as typeof import('kysely');

/** Connection settings as separate fields (what `loadConfig()` produces under `database`). */
export interface DatabaseConnectionConfig {
  host: string;
  port?: number;
  name: string;
  user: string;
  password?: string;
  sslMode?: SslMode;
  sslCaFile?: string;
  sslCertFile?: string;
  sslKeyFile?: string;
}

export interface DatabaseOptions {
  /** Connections kept open when idle. Default 0 (the original's poolMinSize is 5; pass it explicitly). */
  poolMin?: number;
  /** Most connections the pool opens. Default 10. */
  poolMax?: number;
  /** `statement_timeout` for every session, in ms. Default: none (server setting). */
  statementTimeoutMs?: number;
  /** How long to wait for a new connection, in ms. Default 10,000. */
  connectionTimeoutMs?: number;
  /** Idle connections above `poolMin` close after this, in ms. Default 30,000. */
  idleTimeoutMs?: number;
  /** `application_name`, shown in pg_stat_activity. Default `'voicehive-dbrs'`. */
  applicationName?: string;
  /**
   * TLS mode. The URL's `sslmode` and this are one setting: either may give
   * it, both must agree (CONFIG_INVALID otherwise). Default `disable`. The
   * same holds for `sslCaFile`/`sslrootcert`, `sslCertFile`/`sslcert` and
   * `sslKeyFile`/`sslkey`. See `resolveTls`.
   */
  sslMode?: SslMode;
  /** CA certificate (PEM) for `verify-ca` / `verify-full` (and checked under `require` too, as libpq does). */
  sslCaFile?: string;
  /** Client certificate (PEM); needs `sslKeyFile`. */
  sslCertFile?: string;
  sslKeyFile?: string;
  logger?: Logger;
}

export interface QueryOptions {
  signal?: AbortSignal;
}

export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/**
 * A pg Pool and a Kysely instance over it (created on first use). Owns the pool: `close()` ends it.
 * Every component of the suite accepts a Database, a bare pg.Pool, or a URL
 * (see `resolveDatabase`).
 */
export class Database<DB = any> implements AsyncDisposable {
  readonly pool: pg.Pool;
  /** Host, port, database, user and TLS mode; never the password. */
  readonly info: ConnectionInfo;
  /** TLS in libpq's terms: child tools get the same through `libpqEnv`. */
  readonly tls: TlsSettings;
  readonly #logger: Logger;
  readonly #ownsPool: boolean;
  readonly #clientConfig: pg.ClientConfig;
  #kysely: Kysely<DB> | undefined;
  #closed = false;

  constructor(
    pool: pg.Pool,
    options: {
      info: ConnectionInfo;
      tls?: TlsSettings;
      logger?: Logger;
      ownsPool?: boolean;
      clientConfig?: pg.ClientConfig;
    },
  ) {
    this.pool = pool;
    this.tls = Object.freeze({ ...(options.tls ?? { mode: options.info.sslMode ?? 'disable' }) });
    this.info = Object.freeze({ ...options.info, sslMode: this.tls.mode });
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'database' });
    this.#ownsPool = options.ownsPool ?? true;
    this.#clientConfig = options.clientConfig ?? (pool.options as pg.ClientConfig);
    // Checked-out clients (withClient, Kysely, pool.query) get an 'error' listener for as long as they are out.
    guardPoolClients(pool, this.#logger);
  }

  /**
   * A Kysely query builder over the pool, created on first use. Kysely is about 250 modules: loading it with
   * core made every command pay ~0.4 s (half of `dbrs status`), though the suite itself sends plain SQL.
   * Required synchronously (Node ≥ 22.12 loads an ES module through require()), so this stays a property.
   */
  get kysely(): Kysely<DB> {
    if (!this.#kysely) {
      const { Kysely: KyselyClass, PostgresDialect } = loadKysely();
      this.#kysely = new KyselyClass<DB>({ dialect: new PostgresDialect({ pool: this.pool }) });
    }
    return this.#kysely;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Settings to open another connection to the same server (dedicated lock sessions, cancellation). */
  clientConfig(overrides: Partial<pg.ClientConfig> = {}): pg.ClientConfig {
    return { ...this.#clientConfig, ...overrides };
  }

  /**
   * Runs one statement. With a signal, an abort cancels it on the server
   * (pg_cancel_backend from a second connection) and rejects at once with
   * DbrsError('ABORTED').
   */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
    options: QueryOptions = {},
  ): Promise<pg.QueryResult<R>> {
    this.#assertOpen();
    text = tagSql(text);
    if (!options.signal) {
      try {
        return await this.pool.query<R>(text, values);
      } catch (err) {
        throw mapDatabaseError(err, this.info);
      }
    }
    return this.withClient((client) => runCancellable<R>(client, text, values, options.signal!, this), options);
  }

  /** Checks a client out for several statements on one session; always released. */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>, options: QueryOptions = {}): Promise<T> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'query');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapDatabaseError(err, this.info, 'connect');
    }
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      if ((err as { code?: string }).code === 'ABORTED') broken = err as Error;
      throw err;
    } finally {
      // A cancelled or failed session may be mid-protocol: destroy rather than reuse it.
      client.release(broken);
    }
  }

  /** `SELECT 1` round trip; resolves to the latency in ms. */
  async ping(options: QueryOptions = {}): Promise<number> {
    const started = performance.now();
    await this.query('SELECT 1', [], options);
    return performance.now() - started;
  }

  /**
   * Cancels the running statement of backend `pid` from a fresh connection.
   * A cancel that arrives before the statement starts is lost, so it is
   * repeated (for up to ~5 s) until the backend is no longer active.
   */
  async cancelBackend(pid: number): Promise<void> {
    const canceller = new pg.Client(this.clientConfig({ application_name: 'voicehive-dbrs-cancel' }));
    // Failures surface through the awaited queries; an unlistened 'error' event would crash the process.
    canceller.on('error', () => {});
    try {
      await canceller.connect();
      for (let attempt = 0; attempt < 50; attempt++) {
        await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
        await new Promise((r) => setTimeout(r, 100));
        const { rows } = await canceller.query<{ active: boolean }>(
          "SELECT state = 'active' AS active FROM pg_stat_activity WHERE pid = $1",
          [pid],
        );
        if (!rows[0]?.active) return;
      }
    } catch (err) {
      this.#logger.warn({ event: 'cancel_failed', pid, err }, 'could not cancel backend');
    } finally {
      await canceller.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.pool.end();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new DbrsError('CLOSED', 'The database handle is closed.', { hint: 'Create a new one.' });
  }
}

async function runCancellable<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  text: string,
  values: unknown[] | undefined,
  signal: AbortSignal,
  db: Database<any>,
): Promise<pg.QueryResult<R>> {
  throwIfAborted(signal, 'query');
  const pid = (client as unknown as { processID: number }).processID;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      void db.cancelBackend(pid);
      reject(abortError(signal, 'query'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = client.query<R>(text, values);
  // The statement's own rejection (57014 after the cancel) is expected once aborted.
  running.catch(() => {});
  try {
    return await Promise.race([running, aborted]);
  } catch (err) {
    throw mapDatabaseError(err, db.info);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** Opens a pool (lazily: no connection is made until the first query). */
export function createDatabase<DB = any>(
  urlOrConfig: string | DatabaseConnectionConfig,
  options: DatabaseOptions = {},
): Database<DB> {
  const conn =
    typeof urlOrConfig === 'string'
      ? parseDatabaseUrl(urlOrConfig)
      : {
          host: urlOrConfig.host,
          port: urlOrConfig.port ?? 5432,
          database: urlOrConfig.name,
          user: urlOrConfig.user,
          password: urlOrConfig.password,
          sslMode: undefined,
          params: {} as Record<string, string>,
        };
  const fields: TlsInput = typeof urlOrConfig === 'string' ? {} : urlOrConfig;
  const tls = resolveTls(tlsFromUrlParams(conn.params, conn.sslMode), {
    sslMode: options.sslMode ?? fields.sslMode,
    sslCaFile: options.sslCaFile ?? fields.sslCaFile,
    sslCertFile: options.sslCertFile ?? fields.sslCertFile,
    sslKeyFile: options.sslKeyFile ?? fields.sslKeyFile,
  });
  const clientConfig: pg.ClientConfig = {
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    password: conn.password,
    ssl: nodeTlsOptions(tls, conn.host),
    application_name: options.applicationName ?? 'voicehive-dbrs',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  };
  const poolMax = options.poolMax ?? 10;
  const poolMin = options.poolMin ?? 0;
  if (!Number.isInteger(poolMax) || poolMax < 1 || !Number.isInteger(poolMin) || poolMin < 0 || poolMin > poolMax) {
    throw new DbrsError('CONFIG_INVALID', `Invalid pool size: min ${poolMin}, max ${poolMax}.`, {
      hint: 'Use whole numbers with 0 <= poolMin <= poolMax and poolMax >= 1.',
    });
  }
  const pool = new pg.Pool({
    ...clientConfig,
    max: poolMax,
    min: poolMin,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  });
  const info: ConnectionInfo = {
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    sslMode: tls.mode,
  };
  const logger = options.logger ?? silentLogger();
  // An idle client losing its server emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (err) =>
    logger.warn({ event: 'pool_client_error', err: mapDatabaseError(err, info) }, 'idle client error'),
  );
  return new Database<DB>(pool, { info, tls, logger, clientConfig });
}

export type DatabaseInput = Database<any> | pg.Pool | string | URL;

/**
 * Accepts what every component takes (a Database, a pg.Pool, or a URL) and
 * returns a Database plus whether the caller now owns it (and must close it).
 */
export function resolveDatabase(
  input: DatabaseInput,
  options: DatabaseOptions = {},
): { database: Database<any>; owned: boolean } {
  if (
    input instanceof Database ||
    (typeof input === 'object' && input !== null && 'kysely' in input && 'pool' in input)
  ) {
    return { database: input as Database<any>, owned: false };
  }
  if (typeof input === 'string' || input instanceof URL) {
    return { database: createDatabase(input.toString(), options), owned: true };
  }
  if (
    input instanceof pg.Pool ||
    (typeof input === 'object' && input !== null && 'connect' in input && 'totalCount' in input)
  ) {
    const pool = input as pg.Pool;
    const o = pool.options as pg.PoolConfig;
    const fromUrl = o.connectionString ? parseDatabaseUrl(o.connectionString) : undefined;
    const info = fromUrl
      ? { host: fromUrl.host, port: fromUrl.port, database: fromUrl.database, user: fromUrl.user }
      : {
          host: String(o.host ?? 'localhost'),
          port: Number(o.port ?? 5432),
          database: String(o.database ?? ''),
          user: String(o.user ?? ''),
        };
    return {
      database: new Database(pool, { info, tls: tlsOfPool(o, fromUrl), logger: options.logger, ownsPool: false }),
      owned: true,
    };
  }
  throw new DbrsError(
    'INVALID_ARGUMENT',
    'Expected a Database from createDatabase(), a pg.Pool, or a postgres:// URL.',
  );
}

/**
 * A caller's own pg.Pool, read in libpq's terms for child tools. pg itself
 * reads `sslmode=require` in a connection string as verify-full, so that is
 * what the pool does and what the tools are told. An `ssl` object with
 * `rejectUnauthorized: false` is `require`; any other TLS is `verify-full`
 * (its CA is in memory, so a tool falls back to libpq's default root
 * certificate and fails rather than connecting unverified).
 */
function tlsOfPool(o: pg.PoolConfig, fromUrl: ReturnType<typeof parseDatabaseUrl> | undefined): TlsSettings {
  const ssl = o.ssl as unknown;
  if (ssl && typeof ssl === 'object') {
    return { mode: (ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized === false ? 'require' : 'verify-full' };
  }
  if (ssl === true) return { mode: 'verify-full' };
  const mode = fromUrl?.sslMode;
  if (mode === undefined || mode === 'disable') return { mode: 'disable' };
  const fileTls = tlsFromUrlParams(fromUrl?.params ?? {}, undefined);
  return {
    mode: mode === 'require' && !fromUrl?.params['sslrootcert'] ? 'verify-full' : mode,
    ...(fileTls.sslCaFile ? { caFile: fileTls.sslCaFile } : {}),
    ...(fileTls.sslCertFile ? { certFile: fileTls.sslCertFile } : {}),
    ...(fileTls.sslKeyFile ? { keyFile: fileTls.sslKeyFile } : {}),
  };
}

/**
 * Another database on the same server as `db`, with its credentials and TLS
 * unchanged (scratch databases, restore-test targets, restores by name).
 * Owns a small pool of its own: close it.
 */
export function siblingDatabase<DB = any>(
  db: Database<any>,
  name: string,
  options: { poolMax?: number; applicationName?: string; logger?: Logger } = {},
): Database<DB> {
  const clientConfig: pg.ClientConfig = {
    ...db.clientConfig(),
    connectionString: undefined,
    database: name,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
  };
  if (db.clientConfig().connectionString) {
    const u = parseDatabaseUrl(String(db.clientConfig().connectionString));
    Object.assign(clientConfig, { host: u.host, port: u.port, user: u.user, password: u.password });
  }
  const pool = new pg.Pool({ ...clientConfig, max: options.poolMax ?? 2, idleTimeoutMillis: 30_000 });
  const info: ConnectionInfo = { ...db.info, database: name };
  const logger = options.logger ?? silentLogger();
  pool.on('error', (err) =>
    logger.warn({ event: 'pool_client_error', err: mapDatabaseError(err, info) }, 'idle client error'),
  );
  return new Database<DB>(pool, { info, tls: db.tls, logger, clientConfig });
}
