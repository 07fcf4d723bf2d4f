import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbrsError, errorMessage } from '@voicehive/db-core';
import { debugEnabled, debugLog } from '../internal/debug.js';
import { findFreePort } from '../internal/free-port.js';
import { reapOnExit } from '../internal/reaper.js';
import { runCommand } from '../internal/run-command.js';
import { makeTempDir, removeDir } from '../internal/temp-dir.js';
import { appendSettings, baseSettings, writeHba } from './cluster-config.js';
import type { ServerBinaries } from './find-binaries.js';
import { hasExtensionFiles } from './find-binaries.js';
import { createPasswordRole, installExtensions, passwordRoleFor, readServerFacts } from './prepare-server.js';
import type { PostgresServer } from './types.js';

export interface LocalClusterOptions {
  binaries: ServerBinaries;
  settings?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
}

// initdb is most of a cluster's start-up cost; each later cluster in this process copies the first.
const pristine = new Map<string, Promise<string>>();

function pristineCluster(binaries: ServerBinaries, preloadQualstats: boolean): Promise<string> {
  const key = `${binaries.binDir}|${preloadQualstats}`;
  let cached = pristine.get(key);
  if (!cached) {
    cached = (async () => {
      const dir = await makeTempDir('pginit', { forServiceUser: true });
      reapOnExit({ dir });
      const dataDir = join(dir, 'data');
      // C locale: faster initdb, and the same sort order on every machine.
      await runCommand(
        join(binaries.binDir, 'initdb'),
        ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'],
        { asServiceUser: true },
      );
      await writeHba(dataDir);
      await appendSettings(dataDir, baseSettings({ preloadQualstats }));
      debugLog('postgres', `initdb done in ${dataDir}`);
      return dataDir;
    })();
    cached.catch(() => pristine.delete(key));
    pristine.set(key, cached);
  }
  return cached;
}

function looksLikePortClash(log: string): boolean {
  return /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log);
}

/** A throwaway cluster from this machine's server binaries, run as the `postgres` OS user when we are root. */
// Long: initdb, start-up, readiness wait and the failure cleanup share the cluster directory and process.
export async function startLocalCluster(options: LocalClusterOptions): Promise<PostgresServer> {
  const { binaries } = options;
  const pgCtl = join(binaries.binDir, 'pg_ctl');
  const preloadQualstats = hasExtensionFiles(binaries, 'pg_qualstats');
  const template = await pristineCluster(binaries, preloadQualstats);

  const dir = await makeTempDir('pg', { forServiceUser: true });
  const unreapDir = reapOnExit({ dir });
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  let unreapPid: (() => void) | undefined;

  const stopCluster = async (): Promise<void> => {
    await runCommand(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], { asServiceUser: true }).catch(
      (error: unknown) => debugLog('postgres', `pg_ctl stop: ${errorMessage(error)}`),
    );
    unreapPid?.();
    if (debugEnabled()) {
      debugLog('postgres', `server log:\n${await readFile(logFile, 'utf8').catch(() => '')}`);
    }
    await removeDir(dir);
    unreapDir();
  };

  try {
    await runCommand('cp', ['-a', template, dataDir]);
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      await appendSettings(dataDir, { port, unix_socket_directories: dir, ...options.settings });
      try {
        await runCommand(
          pgCtl,
          [
            '-D',
            dataDir,
            '-l',
            logFile,
            '-w',
            '-t',
            String(Math.ceil((options.startTimeoutMs ?? 60_000) / 1000)),
            'start',
          ],
          {
            asServiceUser: true,
          },
        );
        break;
      } catch (error) {
        const log = await readFile(logFile, 'utf8').catch(() => '');
        if (attempt < 4 && looksLikePortClash(log)) continue;
        throw new DbrsError('TOOL_FAILED', `PostgreSQL (${binaries.binDir}) did not start.`, {
          cause: error,
          details: { log: log.slice(-4000) },
          hint: `Server log: ${log.trim().split('\n').slice(-5).join(' | ')}`,
        });
      }
    }
    const watchPostmaster = async (): Promise<void> => {
      const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      // SIGINT is PostgreSQL's fast shutdown: running sessions are ended, nothing is waited for.
      unreapPid = reapOnExit({ pid, signal: 'SIGINT' });
    };
    await watchPostmaster();

    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await createPasswordRole(url);
    const facts = await readServerFacts(url);
    await installExtensions(url, facts);
    debugLog('postgres', `local cluster ${facts.version.text} on port ${port}, data ${dataDir}`);

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= stopCluster();
      return stopping;
    };
    // Fault tests stop the server under a client and start it again on the same port and data.
    const stopServer = async (mode: 'smart' | 'fast' | 'immediate' = 'fast'): Promise<void> => {
      await runCommand(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { asServiceUser: true });
      unreapPid?.();
      unreapPid = undefined;
    };
    const startServer = async (): Promise<void> => {
      const timeout = String(Math.ceil((options.startTimeoutMs ?? 60_000) / 1000));
      await runCommand(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', timeout, 'start'], { asServiceUser: true });
      await watchPostmaster();
    };
    return {
      url,
      superuserUrl: url,
      host: '127.0.0.1',
      port,
      version: facts.version,
      source: 'local',
      stopServer,
      startServer,
      dataDir,
      binDir: binaries.binDir,
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
