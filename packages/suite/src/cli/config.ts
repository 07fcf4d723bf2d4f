import { type DbrsConfig, loadConfig } from '@voicehive/db-core';

export interface CliConfigInput {
  configFile?: string;
  url?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * Where the CLI gets its settings: core's loadConfig (defaults, the YAML file
 * from --config / DBRS_CONFIG / ./database_config.yaml, the environment's
 * section, DB_* and other variables); the database from --url, else
 * DATABASE_URL, else the config's database section.
 */
export function loadCliConfig(input: CliConfigInput): { url?: string; config: DbrsConfig } {
  const config = loadConfig({
    ...(input.configFile ? { file: input.configFile } : {}),
    env: input.env,
    cwd: input.cwd,
  });
  const url = input.url ?? input.env['DATABASE_URL'] ?? config.database.url;
  return { ...(url ? { url } : {}), config };
}

const loaded = new WeakMap<object, { url?: string; config: DbrsConfig }>();

/**
 * The command's settings from its flags (--config, --url) and environment,
 * read and validated once per command: a command that opens the suite with
 * feature overrides and also needs the configuration as written (migrate up
 * asks whether backup is on) gets the same object, not a second read.
 */
export function commandConfig(ctx: {
  str(name: string): string | undefined;
  io: { env: NodeJS.ProcessEnv; cwd: string };
}): { url?: string; config: DbrsConfig } {
  let c = loaded.get(ctx);
  if (!c) {
    c = loadCliConfig({ configFile: ctx.str('config'), url: ctx.str('url'), env: ctx.io.env, cwd: ctx.io.cwd });
    loaded.set(ctx, c);
  }
  return c;
}
