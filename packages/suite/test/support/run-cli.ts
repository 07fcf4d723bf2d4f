import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
export const REGISTER_TS = resolve(import.meta.dirname, '../../../../scripts/register-source-hooks.mjs');

/**
 * `node` flags that run the CLI straight from the workspace's TypeScript:
 * the source export condition, type transformation (enums, parameter
 * properties) and the `.js` → `.ts` resolve hook.
 */
export const NODE_SOURCE_FLAGS = [
  '--conditions=@voicehive/source',
  '--experimental-transform-types',
  '--disable-warning=ExperimentalWarning',
  '--import',
  REGISTER_TS,
];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output is navigated freely in assertions.
  json<T = any>(): T;
}

export function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [...NODE_SOURCE_FLAGS, CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}
