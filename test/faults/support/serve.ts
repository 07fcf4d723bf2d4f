import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { spawnCli } from '../../../packages/suite/test/support/run-cli.js';

export interface ServeProcess {
  child: ChildProcess;
  /** Main port: health, ready, status, page. */
  url: string;
  metricsUrl: string;
  /** Everything the process wrote to stderr so far (its logs). */
  stderr(): string;
  /** Exit code and signal, once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `dbrs serve --json` as a child process and waits for the line with its addresses. */
export async function startServe(options: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  args?: string[];
}): Promise<ServeProcess> {
  const child = spawnCli(
    ['serve', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--json', ...(options.args ?? [])],
    {
      env: options.env,
      cwd: options.cwd,
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then(({ code }) => {
      throw new Error(`dbrs serve exited early with ${code}: ${stderr}`);
    }),
  ]);
  const info = JSON.parse(line) as { url: string; metricsUrl: string };
  return {
    child,
    url: info.url,
    metricsUrl: info.metricsUrl,
    stderr: () => stderr,
    exited,
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
