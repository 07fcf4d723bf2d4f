import { loadHotelWorkload } from '../workload/data.js';
import { createTestDatabase, type TestDatabase } from './fresh-database.js';
import { getSharedPostgres } from './shared-postgres.js';
import { startPostgres } from './start-postgres.js';
import type { PostgresServer, StartPostgresOptions } from './types.js';

/** The lifecycle hooks of any test framework; pass vitest's `{ beforeAll, afterAll }`. */
export interface SuiteHooks {
  beforeAll(fn: () => Promise<unknown>, timeout?: number): unknown;
  afterAll(fn: () => Promise<unknown>, timeout?: number): unknown;
}

export interface UseTestDatabaseOptions {
  /** 'shared' (default) reuses the process-wide server; 'own' starts one for this suite and stops it after. */
  server?: 'shared' | 'own';
  /** Options for the server start (first start only, when shared). */
  postgres?: StartPostgresOptions;
  /** Load the hotel workload into the new database. Default: empty database. */
  workload?: { scale?: number; seed?: number };
  /** Hook timeout passed to the framework. Default 120 000 ms. */
  timeoutMs?: number;
}

export interface TestDatabaseHandle {
  readonly server: PostgresServer;
  readonly database: TestDatabase;
  readonly url: string;
}

/**
 * `const db = useTestDatabase({ beforeAll, afterAll })` at the top of a suite:
 * a fresh database before the tests, dropped after. Properties throw if read
 * before beforeAll has run. Takes the hooks as arguments so this package
 * never imports a test framework.
 */
export function useTestDatabase(hooks: SuiteHooks, options: UseTestDatabaseOptions = {}): TestDatabaseHandle {
  let server: PostgresServer | undefined;
  let database: TestDatabase | undefined;
  const timeout = options.timeoutMs ?? 120_000;
  hooks.beforeAll(async () => {
    server =
      options.server === 'own' ? await startPostgres(options.postgres) : await getSharedPostgres(options.postgres);
    database = await createTestDatabase(server);
    if (options.workload) await loadHotelWorkload(database.url, options.workload);
  }, timeout);
  hooks.afterAll(async () => {
    await database?.drop();
    if (options.server === 'own') await server?.stop();
  }, timeout);
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useTestDatabase(): read the handle inside tests, after beforeAll has run.');
    return value;
  };
  return {
    get server() {
      return ready(server);
    },
    get database() {
      return ready(database);
    },
    get url() {
      return ready(database).url;
    },
  };
}
