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
