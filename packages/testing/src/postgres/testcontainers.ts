import { DbrsError } from '@voicehive/db-core';
import { installExtensions, readServerFacts } from './prepare-server.js';
import type { PostgresServer } from './types.js';

// Only what we call; the package is optional and not installed in this repo.
interface StartedContainer {
  getConnectionUri(): string;
  getHost(): string;
  getPort(): number;
  stop(): Promise<unknown>;
}
interface ContainerBuilder {
  withCommand(command: string[]): ContainerBuilder;
  start(): Promise<StartedContainer>;
}
interface TestcontainersModule {
  PostgreSqlContainer: new (image: string) => ContainerBuilder;
}

export const TESTCONTAINERS_PACKAGE = '@testcontainers/postgresql';

/** PostgreSQL in Docker, for DBRS_TEST_CONTAINERS=1. Image: DBRS_TEST_POSTGRES_IMAGE, default postgres:15. */
export async function startContainer(
  settings: Record<string, string | number | boolean> = {},
): Promise<PostgresServer> {
  let mod: TestcontainersModule;
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const specifier = TESTCONTAINERS_PACKAGE;
    mod = (await import(/* @vite-ignore */ specifier)) as TestcontainersModule;
  } catch (cause) {
    throw new DbrsError('DEPENDENCY_MISSING', `DBRS_TEST_CONTAINERS=1 needs the "${TESTCONTAINERS_PACKAGE}" package.`, {
      cause,
      hint: `Install it (pnpm add -D ${TESTCONTAINERS_PACKAGE}) and a Docker daemon, or unset DBRS_TEST_CONTAINERS.`,
    });
  }
  const image = process.env['DBRS_TEST_POSTGRES_IMAGE'] ?? 'postgres:15';
  const conf: Record<string, string | number | boolean> = {
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
    wal_level: 'replica',
    max_wal_senders: 10,
    max_connections: 200,
    fsync: 'off',
    synchronous_commit: 'off',
    ...settings,
  };
  const command = ['postgres', ...Object.entries(conf).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  const container = await new mod.PostgreSqlContainer(image).withCommand(command).start();
  const url = container.getConnectionUri();
  const facts = await readServerFacts(url);
  await installExtensions(url, facts);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= container.stop().then(() => undefined);
    return stopping;
  };
  return {
    url,
    superuserUrl: url,
    host: container.getHost(),
    port: container.getPort(),
    version: facts.version,
    source: 'testcontainers',
    hasHypopg: facts.hasHypopg,
    hasQualstats: facts.hasQualstats,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
