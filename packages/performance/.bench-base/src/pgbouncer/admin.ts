import {
  DbrsError,
  errorMessage,
  nodeTlsOptions,
  parseDatabaseUrl,
  redactUrl,
  resolveTls,
  type TlsSettings,
} from '@voicehive/db-core';
import pg from 'pg';

/**
 * Client settings for the admin console, with TLS in libpq's terms: `tls`
 * when given, else the URL's `sslmode` (pg itself would read
 * `sslmode=require` as verify-full, so it never sees the connection string).
 */
function adminClientConfig(adminUrl: string, tls: TlsSettings | undefined, timeoutMs: number): pg.ClientConfig {
  const u = parseDatabaseUrl(adminUrl);
  const settings =
    tls ??
    resolveTls(
      {
        ...(u.sslMode ? { sslMode: u.sslMode } : {}),
        ...(u.params['sslrootcert'] ? { sslCaFile: u.params['sslrootcert'] } : {}),
      },
      {},
    );
  return {
    host: u.host,
    port: u.port,
    user: u.user,
    password: u.password,
    database: u.database,
    ssl: nodeTlsOptions(settings, u.host),
    connectionTimeoutMillis: timeoutMs,
  };
}

export interface PgBouncerPool {
  database: string;
  user: string;
  clActive: number;
  clWaiting: number;
  svActive: number;
  svIdle: number;
  svUsed: number;
  svTested: number;
  svLogin: number;
  /** Seconds the oldest waiting client has waited. */
  maxwaitSeconds: number;
  poolMode: string;
}

export interface PgBouncerStat {
  database: string;
  totalXactCount: number;
  totalQueryCount: number;
  totalXactTimeUs: number;
  totalQueryTimeUs: number;
  totalWaitTimeUs: number;
  avgXactTimeUs: number;
  avgWaitTimeUs: number;
}

export interface PgBouncerSnapshot {
  pools: PgBouncerPool[];
  stats: PgBouncerStat[];
  clients: { total: number; byState: Record<string, number> };
  /** SHOW CONFIG as key → value. */
  config: Record<string, string>;
  /** SHOW DATABASES pool_size per database. */
  poolSizes: Record<string, number>;
  readAt: string;
}

const num = (v: unknown): number => (v === null || v === undefined || v === '' ? 0 : Number(v));

/**
 * Reads the admin console (database `pgbouncer`). It only speaks the simple
 * query protocol, so every command is sent without parameters.
 */
export async function readPgBouncerAdmin(
  adminUrl: string,
  options: { signal?: AbortSignal; timeoutMs?: number; tls?: TlsSettings } = {},
): Promise<PgBouncerSnapshot> {
  const client = new pg.Client(adminClientConfig(adminUrl, options.tls, options.timeoutMs ?? 5000));
  client.on('error', () => {});
  const onAbort = () => void client.end().catch(() => {});
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    const pools = (await client.query('SHOW POOLS')).rows;
    const stats = (await client.query('SHOW STATS')).rows;
    const clients = (await client.query('SHOW CLIENTS')).rows;
    const config = (await client.query('SHOW CONFIG')).rows;
    const databases = (await client.query('SHOW DATABASES')).rows;
    const byState: Record<string, number> = {};
    for (const c of clients) byState[String(c['state'])] = (byState[String(c['state'])] ?? 0) + 1;
    return {
      pools: pools.map((p) => ({
        database: String(p['database']),
        user: String(p['user']),
        clActive: num(p['cl_active']),
        clWaiting: num(p['cl_waiting']),
        svActive: num(p['sv_active']),
        svIdle: num(p['sv_idle']),
        svUsed: num(p['sv_used']),
        svTested: num(p['sv_tested']),
        svLogin: num(p['sv_login']),
        maxwaitSeconds: num(p['maxwait']) + num(p['maxwait_us']) / 1e6,
        poolMode: String(p['pool_mode'] ?? ''),
      })),
      stats: stats.map((s) => ({
        database: String(s['database']),
        totalXactCount: num(s['total_xact_count']),
        totalQueryCount: num(s['total_query_count']),
        totalXactTimeUs: num(s['total_xact_time']),
        totalQueryTimeUs: num(s['total_query_time']),
        totalWaitTimeUs: num(s['total_wait_time']),
        avgXactTimeUs: num(s['avg_xact_time']),
        avgWaitTimeUs: num(s['avg_wait_time']),
      })),
      clients: { total: clients.length, byState },
      config: Object.fromEntries(config.map((c) => [String(c['key']), String(c['value'])])),
      poolSizes: Object.fromEntries(databases.map((d) => [String(d['name']), num(d['pool_size'])])),
      readAt: new Date().toISOString(),
    };
  } catch (err) {
    if (options.signal?.aborted)
      throw new DbrsError('ABORTED', 'Reading the PgBouncer admin console was aborted.', { cause: err });
    throw new DbrsError(
      'PGBOUNCER_FAILED',
      `Cannot read the PgBouncer admin console at ${redactUrl(adminUrl)}: ${errorMessage(err)}.`,
      {
        cause: err,
        hint: 'Check that PgBouncer runs, that the URL names the `pgbouncer` database, and that the user is in admin_users or stats_users.',
      },
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => {});
  }
}

/** Sends RELOAD on the admin console (re-reads pgbouncer.ini). */
export async function reloadViaAdmin(adminUrl: string, options: { tls?: TlsSettings } = {}): Promise<void> {
  const client = new pg.Client(adminClientConfig(adminUrl, options.tls, 5000));
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('RELOAD');
  } catch (err) {
    throw new DbrsError('PGBOUNCER_FAILED', `RELOAD on the PgBouncer admin console failed: ${errorMessage(err)}.`, {
      cause: err,
      hint: 'The user must be listed in admin_users.',
    });
  } finally {
    await client.end().catch(() => {});
  }
}
