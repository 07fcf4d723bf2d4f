import type { FlatSuiteConfig } from '../config.js';
import type { DatabaseReliabilitySuite, SuiteOptions } from '../suite.js';
import { UsageError } from './usage.js';

export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  json: boolean;
  io: CliIO;
  signal: AbortSignal;
  /** Human text, or the JSON value with `--json`. */
  print(human: string, json: unknown): void;
  openSuite(overrides?: FlatSuiteConfig, options?: SuiteOptions): Promise<DatabaseReliabilitySuite>;
  str(name: string): string | undefined;
  num(name: string): number | undefined;
}

export function makeContext(
  values: OptionValues,
  positionals: string[],
  io: CliIO,
  signal: AbortSignal,
): CommandContext {
  const json = values['json'] === true;
  const str = (name: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  const ctx: CommandContext = {
    values,
    positionals,
    json,
    io,
    signal,
    str,
    num(name) {
      const v = str(name);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got "${v}"`);
      return n;
    },
    print(human, value) {
      io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
    },
    async openSuite(overrides = {}, options = {}) {
      // Imported on first use so that help and usage errors never load the feature packages.
      const [
        { createLogger, silentLogger },
        { withFlatOverrides },
        { createDatabaseReliabilitySuite },
        { commandConfig },
      ] = await Promise.all([
        import('@voicehive/db-core'),
        import('../config.js'),
        import('../suite.js'),
        import('./config.js'),
      ]);
      const { url, config } = commandConfig(ctx);
      const verbose = values['verbose'] === true;
      return createDatabaseReliabilitySuite(url, withFlatOverrides(config, overrides), {
        // Logs go to stderr so stdout stays parseable (--json).
        logger: verbose ? createLogger({ level: 'debug', destination: process.stderr as never }) : silentLogger(),
        actor: 'cli',
        ...options,
      });
    },
  };
  return ctx;
}
