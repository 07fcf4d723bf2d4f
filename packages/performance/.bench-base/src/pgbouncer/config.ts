import { DbrsError } from '@voicehive/db-core';

export type PoolMode = 'session' | 'transaction' | 'statement';
export type AuthType = 'scram-sha-256' | 'md5' | 'plain' | 'trust';

export interface PgBouncerProfile {
  poolMode: PoolMode;
  defaultPoolSize: number;
  maxClientConn: number;
  reservePoolSize: number;
  /** Seconds a client waits before the reserve pool is used. */
  reservePoolTimeout: number;
  /** Seconds before an idle server connection is closed. */
  serverIdleTimeout: number;
  /** Seconds a client may wait for a server before being dropped (0 = forever). */
  queryWaitTimeout: number;
}

/**
 * The original system's profiles. OLTP: many short transactions from many
 * clients, so transaction pooling (drivers must not rely on session state or
 * protocol-level prepared statements before PgBouncer 1.21's
 * max_prepared_statements). Analytics: few long sessions that use temp
 * tables and SET, so session pooling.
 */
export const PGBOUNCER_PROFILES: Readonly<Record<'oltp' | 'analytics', Readonly<PgBouncerProfile>>> = Object.freeze({
  oltp: Object.freeze({
    poolMode: 'transaction',
    defaultPoolSize: 25,
    maxClientConn: 1000,
    reservePoolSize: 5,
    reservePoolTimeout: 3,
    serverIdleTimeout: 600,
    queryWaitTimeout: 120,
  }),
  analytics: Object.freeze({
    poolMode: 'session',
    defaultPoolSize: 10,
    maxClientConn: 100,
    reservePoolSize: 2,
    reservePoolTimeout: 5,
    serverIdleTimeout: 3600,
    queryWaitTimeout: 0,
  }),
});

export interface PgBouncerDatabase {
  /** Name clients connect to. Letters, digits, `_`, `-`, `.`. */
  name: string;
  host: string;
  port?: number;
  /** Server-side database name. Default: `name`. */
  dbname?: string;
  /** Overrides the profile's pool size for this database. */
  poolSize?: number;
}

export interface PgBouncerUser {
  name: string;
  /** Plain text, or an `md5…` / `SCRAM-SHA-256$…` verifier. Omit for `trust`. */
  password?: string;
}

export interface PgBouncerConfigInput {
  /** Default `'oltp'`. */
  profile?: 'oltp' | 'analytics';
  /** Field-by-field overrides of the profile. */
  overrides?: Partial<PgBouncerProfile>;
  databases: PgBouncerDatabase[];
  users: PgBouncerUser[];
  /** Default `'127.0.0.1'`. */
  listenAddr?: string;
  /** Default 6432. */
  listenPort?: number;
  /** Default `'scram-sha-256'`. */
  authType?: AuthType;
  /** Path written into `auth_file`. Default `'userlist.txt'` next to the ini. */
  authFile?: string;
  /** Users allowed to run admin commands on the `pgbouncer` console. Default: the first user. */
  adminUsers?: string[];
  statsUsers?: string[];
  /**
   * PostgreSQL's usable connections (max_connections − superuser_reserved −
   * headroom). When set, the sum of all pools must fit: otherwise clients
   * would queue on PgBouncer for connections the server refuses.
   */
  serverMaxConnections?: number;
  /** Empty disables the unix socket. Default `''`. */
  unixSocketDir?: string;
}

export interface RenderedPgBouncerConfig {
  ini: string;
  userlist: string;
  profile: PgBouncerProfile;
  /** Server connections the configuration can open at most (Σ pool + reserve per database × users). */
  maxServerConnections: number;
}

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;
const SAFE_VALUE = /^[^\s;'"\\]+$/;

function invalid(message: string, hint: string): never {
  throw new DbrsError('CONFIG_INVALID', message, { hint });
}

function wholeNumber(path: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min)
    invalid(`pgbouncer ${path} must be a whole number ≥ ${min}, got ${String(v)}.`, `Fix ${path}.`);
}

const quoteUser = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** Renders and validates pgbouncer.ini and its userlist for a profile. Never includes a password in the ini. */
// Long: the ini file written line by line, each validation beside the setting it checks.
export function renderPgBouncerConfig(input: PgBouncerConfigInput): RenderedPgBouncerConfig {
  const profile: PgBouncerProfile = { ...PGBOUNCER_PROFILES[input.profile ?? 'oltp'], ...(input.overrides ?? {}) };
  if (!['session', 'transaction', 'statement'].includes(profile.poolMode)) {
    invalid(
      `pgbouncer poolMode must be session, transaction or statement, got ${String(profile.poolMode)}.`,
      'Use one of the three modes.',
    );
  }
  wholeNumber('defaultPoolSize', profile.defaultPoolSize, 1);
  wholeNumber('maxClientConn', profile.maxClientConn, 1);
  wholeNumber('reservePoolSize', profile.reservePoolSize, 0);
  for (const k of ['reservePoolTimeout', 'serverIdleTimeout', 'queryWaitTimeout'] as const)
    wholeNumber(k, profile[k], 0);
  if (profile.maxClientConn < profile.defaultPoolSize) {
    invalid(
      'pgbouncer maxClientConn is smaller than defaultPoolSize: the pool could never fill.',
      'Raise maxClientConn or lower the pool size.',
    );
  }
  if (input.databases.length === 0)
    invalid('pgbouncer needs at least one database.', 'Pass databases: [{ name, host, port }].');
  if (input.users.length === 0) invalid('pgbouncer needs at least one user.', 'Pass users: [{ name, password }].');
  const authType = input.authType ?? 'scram-sha-256';
  const listenPort = input.listenPort ?? 6432;
  wholeNumber('listenPort', listenPort, 1);
  const listenAddr = input.listenAddr ?? '127.0.0.1';
  if (!SAFE_VALUE.test(listenAddr))
    invalid('pgbouncer listenAddr contains spaces or quotes.', 'Use an address such as 127.0.0.1 or *.');
  const dbLines: string[] = [];
  let maxServerConnections = 0;
  for (const db of input.databases) {
    if (!SAFE_NAME.test(db.name))
      invalid(
        `pgbouncer database name ${JSON.stringify(db.name)} has characters the ini cannot hold.`,
        'Use letters, digits, _, - and . only.',
      );
    if (!SAFE_VALUE.test(db.host))
      invalid(`pgbouncer host for ${db.name} contains spaces or quotes.`, 'Use a host name or address.');
    const dbname = db.dbname ?? db.name;
    if (!SAFE_NAME.test(dbname))
      invalid(
        `pgbouncer dbname ${JSON.stringify(dbname)} has characters the ini cannot hold.`,
        'Use letters, digits, _, - and . only.',
      );
    const port = db.port ?? 5432;
    wholeNumber(`databases.${db.name}.port`, port, 1);
    const poolSize = db.poolSize ?? profile.defaultPoolSize;
    wholeNumber(`databases.${db.name}.poolSize`, poolSize, 1);
    dbLines.push(
      `${db.name} = host=${db.host} port=${port} dbname=${dbname}${db.poolSize ? ` pool_size=${db.poolSize}` : ''}`,
    );
    maxServerConnections += (poolSize + profile.reservePoolSize) * input.users.length;
  }
  if (input.serverMaxConnections !== undefined && maxServerConnections > input.serverMaxConnections) {
    invalid(
      `pgbouncer pools can open ${maxServerConnections} server connections but PostgreSQL allows ${input.serverMaxConnections}.`,
      'Lower pool sizes or reservePoolSize, or raise max_connections.',
    );
  }
  for (const u of input.users) {
    if (!u.name || /[\n\r]/.test(u.name))
      invalid('pgbouncer user names must be non-empty single-line strings.', 'Fix users[].name.');
    if (u.password !== undefined && /[\n\r]/.test(u.password))
      invalid(`pgbouncer password for ${u.name} contains a newline.`, 'Remove it.');
    if (authType !== 'trust' && !u.password)
      invalid(
        `pgbouncer user ${u.name} has no password but auth_type is ${authType}.`,
        'Give a password or use authType trust (tests only).',
      );
  }
  const admins = input.adminUsers ?? [input.users[0]!.name];
  const listOk = (xs: string[]) => xs.every((x) => SAFE_NAME.test(x));
  if (!listOk(admins) || !listOk(input.statsUsers ?? []))
    invalid('pgbouncer admin/stats user names must be simple names.', 'Use letters, digits, _, - and . only.');
  const ini = [
    '; Generated by @voicehive/db-performance. Edit the profile, not this file.',
    '[databases]',
    ...dbLines,
    '',
    '[pgbouncer]',
    `listen_addr = ${listenAddr}`,
    `listen_port = ${listenPort}`,
    `unix_socket_dir = ${input.unixSocketDir ?? ''}`,
    `auth_type = ${authType}`,
    `auth_file = ${input.authFile ?? 'userlist.txt'}`,
    `admin_users = ${admins.join(', ')}`,
    ...(input.statsUsers?.length ? [`stats_users = ${input.statsUsers.join(', ')}`] : []),
    `pool_mode = ${profile.poolMode}`,
    `default_pool_size = ${profile.defaultPoolSize}`,
    `max_client_conn = ${profile.maxClientConn}`,
    `reserve_pool_size = ${profile.reservePoolSize}`,
    `reserve_pool_timeout = ${profile.reservePoolTimeout}`,
    `server_idle_timeout = ${profile.serverIdleTimeout}`,
    `query_wait_timeout = ${profile.queryWaitTimeout}`,
    // Drivers (pg, JDBC) send these at startup; without them PgBouncer refuses the connection.
    'ignore_startup_parameters = extra_float_digits,options,statement_timeout',
    '',
  ].join('\n');
  const userlist = `${input.users.map((u) => `${quoteUser(u.name)} ${quoteUser(u.password ?? '')}`).join('\n')}\n`;
  return { ini, userlist, profile, maxServerConnections };
}

/** Reads `key = value` lines of a section back (used by tests and by reload to check what was written). */
export function parseIniSection(ini: string, section: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current = '';
  for (const raw of ini.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
