import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type LoadConfigOptions, loadConfig } from '../src/config/load-config.js';
import { type DbrsError, isDbrsError } from '../src/errors.js';

export interface ConfigDir {
  /** This test's temporary directory, the `cwd` of `load`. */
  readonly dir: string;
  /** Writes a YAML file into `dir` and returns its path. */
  yamlFile(text: string, name?: string): Promise<string>;
  /** loadConfig in `dir`, with an empty environment unless one is given, so the developer's shell never leaks in. */
  load(options?: LoadConfigOptions): ReturnType<typeof loadConfig>;
}

/** A fresh temporary directory for every test of the calling file (registers beforeEach/afterEach). */
export function useConfigDir(): ConfigDir {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbrs-config-'));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const current = (): string => {
    if (!dir) throw new Error('useConfigDir: only usable inside a test');
    return dir;
  };
  return {
    get dir() {
      return current();
    },
    async yamlFile(text, name = 'database_config.yaml') {
      const path = join(current(), name);
      await writeFile(path, text);
      return path;
    },
    load(options = {}) {
      return loadConfig({ cwd: current(), env: {}, ...options });
    },
  };
}

/** The DbrsError that `fn` throws; fails the test when it throws something else or nothing. */
export function failure(fn: () => unknown): DbrsError {
  try {
    fn();
  } catch (error) {
    if (isDbrsError(error)) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}
