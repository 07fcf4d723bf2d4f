import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { DbrsError } from '@voicehive/db-core';
import { debugEnabled, debugLog } from '../internal/debug.js';
import { findFreePort } from '../internal/free-port.js';
import { reapOnExit } from '../internal/reaper.js';
import { makeTempDir, removeDir } from '../internal/temp-dir.js';
import { waitForPort } from '../internal/wait-for-port.js';
import { createAzureContainer, ForeignServerError } from './azure-shared-key.js';

/** Azurite's fixed development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface StartAzuriteOptions {
  /** Container created before start (3–63 lowercase letters, digits, hyphens). Default 'dbrs-test'. */
  container?: string;
  /** How long to wait for the port. Default 30 000 ms. */
  startTimeoutMs?: number;
}

export interface AzuriteEmulator extends AsyncDisposable {
  connectionString: string;
  container: string;
  accountName: string;
  accountKey: string;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  port: number;
  /** Idempotent. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Azurite's blob service as a child process on a free port, in memory.
 * `--skipApiVersionCheck` lets newer SDKs talk to it.
 */
// Long: start-up, readiness wait and the failure cleanup share the child process.
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteEmulator> {
  const container = options.container ?? 'dbrs-test';
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw new DbrsError('INVALID_ARGUMENT', `"${container}" is not a valid Azure container name.`, {
      hint: 'Use 3-63 lowercase letters, digits and single hyphens.',
    });
  }
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  const dir = await makeTempDir('azurite');
  const unreapDir = reapOnExit({ dir });
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const child = spawn(
      process.execPath,
      [
        main,
        '--blobHost',
        '127.0.0.1',
        '--blobPort',
        String(port),
        '--inMemoryPersistence',
        '--skipApiVersionCheck',
        '--disableTelemetry',
        '--silent',
      ],
      { cwd: dir, stdio: ['ignore', debugEnabled() ? 'inherit' : 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (debugEnabled()) debugLog('azurite', chunk.trimEnd());
    });
    const unreapPid = child.pid === undefined ? () => {} : reapOnExit({ pid: child.pid, signal: 'SIGTERM' });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        const gone = exited(child);
        child.kill('SIGTERM');
        // Azurite's graceful close waits for clients' keep-alive sockets; the data is in memory and disposable.
        const timer = setTimeout(() => child.kill('SIGKILL'), 1_000);
        await gone;
        clearTimeout(timer);
        unreapPid();
        await removeDir(dir);
        unreapDir();
      })();
      return stopping;
    };
    try {
      await waitForPort(port, {
        timeoutMs: options.startTimeoutMs ?? 30_000,
        isDead: () =>
          child.exitCode !== null || child.signalCode !== null
            ? `azurite exited (${child.exitCode ?? child.signalCode}): ${stderr.trim().slice(-1000)}`
            : undefined,
      });
    } catch (error) {
      const clash = /EADDRINUSE/.test(stderr);
      if (clash && attempt < 4) {
        const gone = exited(child);
        child.kill('SIGKILL');
        await gone;
        unreapPid();
        continue;
      }
      await stop();
      throw new DbrsError('TOOL_FAILED', 'Azurite did not start.', { cause: error });
    }
    const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
    try {
      await createAzureContainer({
        blobEndpoint,
        accountName: AZURITE_ACCOUNT_NAME,
        accountKey: AZURITE_ACCOUNT_KEY,
        container,
      });
    } catch (error) {
      // Another server took the port between findFreePort() and Azurite's bind (Azurite then exits on
      // EADDRINUSE, but the port answered first): start again on another port, a bounded number of times.
      if (error instanceof ForeignServerError && attempt < 4) {
        const gone = exited(child);
        child.kill('SIGKILL');
        await gone;
        unreapPid();
        continue;
      }
      await stop();
      throw error;
    }
    return {
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
      container,
      accountName: AZURITE_ACCOUNT_NAME,
      accountKey: AZURITE_ACCOUNT_KEY,
      blobEndpoint,
      port,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }
}
