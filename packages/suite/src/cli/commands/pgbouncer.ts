import { writeFileSync } from 'node:fs';
import { parseDatabaseUrl } from '@voicehive/db-core';
import { renderPgBouncerConfig } from '@voicehive/db-performance';
import { loadCliConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';

/** Renders pgbouncer.ini for a workload profile; needs no database connection. */
export async function pgbouncerConfig(ctx: CommandContext): Promise<number> {
  const { url, config } = loadCliConfig({
    configFile: ctx.str('config'),
    url: ctx.str('url'),
    env: ctx.io.env,
    cwd: ctx.io.cwd,
  });
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
  const poolSize = ctx.num('pool-size');
  const rendered = renderPgBouncerConfig({
    profile,
    databases: [{ name: target.database, host: target.host, port: target.port }],
    users: [{ name: target.user, ...(target.password ? { password: target.password } : {}) }],
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
    ...(userlistOut ? { userlistWrittenTo: userlistOut } : {}),
  });
  return EXIT.OK;
}
