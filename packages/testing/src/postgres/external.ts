import { parseDatabaseUrl } from '@voicehive/db-core';
import { readServerFacts } from './prepare-server.js';
import type { PostgresServer } from './types.js';

/**
 * A server someone else runs (DBRS_TEST_DATABASE_URL). We never stop it or
 * change its configuration; tests still get their own databases from it.
 */
export async function useExternalServer(url: string): Promise<PostgresServer> {
  const info = parseDatabaseUrl(url);
  const facts = await readServerFacts(url);
  const stop = async (): Promise<void> => {};
  return {
    url,
    superuserUrl: url,
    host: info.host,
    port: info.port,
    version: facts.version,
    source: 'url',
    hasHypopg: facts.hasHypopg,
    hasQualstats: facts.hasQualstats,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
