import { writeFileSync } from 'node:fs';
import { parseDatabaseUrl } from '@voicehive/db-core';
import { renderPgBouncerConfig } from '@voicehive/db-performance';
import { commandConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';

const AUTH_TYPES = ['scram-sha-256', 'md5', 'plain', 'trust'] as const;

/** Renders pgbouncer.ini for a workload profile; needs no database connection. */
export async function pgbouncerConfig(ctx: CommandContext): Promise<number> {
  const { url, config } = commandConfig(ctx);
  const profile = ctx.str('profile') ?? 'oltp';
  if (profile !== 'oltp' && profile !== 'analytics') throw new UsageError('--profile must be oltp or analytics');
  const target = url
    ? parseDatabaseUrl(url)
    : {
        host: config.database.host,
        port: config.database.port,
        database: config.database.name,
        user: config.database.user,
        password: config.database.password,
      };
  const authType = ctx.str('auth-type') ?? 'scram-sha-256';
  if (!AUTH_TYPES.includes(authType as (typeof AUTH_TYPES)[number]))
    throw new UsageError(`--auth-type must be one of ${AUTH_TYPES.join(', ')}`);
  if (authType !== 'trust' && !target.password)
    throw new UsageError(
      `the database user ${target.user} has no password, which auth_type ${authType} needs: put it in --url (or DB_PASSWORD), or pass --auth-type trust (only where every client is trusted, e.g. tests)`,
    );
  // The console's administrator is pgbouncer.adminUser (default pgbouncer), never the application's user:
  // an application that can run PAUSE, KILL or SHUTDOWN on its own pooler is one bug away from an outage.
  const adminUser = ctx.str('admin-user') ?? config.pgbouncer.adminUser;
  const poolSize = ctx.num('pool-size');
  const rendered = renderPgBouncerConfig({
    profile,
    databases: [{ name: target.database, host: target.host, port: target.port }],
    users: [{ name: target.user, ...(target.password ? { password: target.password } : {}) }],
    authType: authType as (typeof AUTH_TYPES)[number],
    adminUsers: [adminUser],
    listenAddr: ctx.str('listen-addr') ?? config.pgbouncer.host,
    listenPort: ctx.num('listen-port') ?? config.pgbouncer.port,
    ...(poolSize ? { overrides: { defaultPoolSize: poolSize } } : {}),
  });
  const userlistOut = ctx.str('userlist-out');
  // The userlist holds password verifiers: written only to a file the user names, never to stdout.
  if (userlistOut) writeFileSync(userlistOut, rendered.userlist, { mode: 0o600 });
  ctx.print(rendered.ini, {
    ini: rendered.ini,
    profile: rendered.profile,
    maxServerConnections: rendered.maxServerConnections,
    adminUsers: [adminUser],
    ...(userlistOut ? { userlistWrittenTo: userlistOut } : {}),
  });
  return EXIT.OK;
}
