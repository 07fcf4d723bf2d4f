import { randomBytes } from 'node:crypto';
import { DbrsError, quoteIdent, withDatabase } from '@voicehive/db-core';
import { withClient } from '../internal/pg-client.js';
import type { PostgresServer } from './types.js';

export interface TestDatabase extends AsyncDisposable {
  name: string;
  /** Same credentials as the server's superuserUrl, this database. */
  url: string;
  /** DROP DATABASE … WITH (FORCE); idempotent. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Database to copy. Default `template1`, which already has the statistics extensions. */
  template?: string;
  /** Default: a unique `dbrs_test_<pid>_<n>_<random>`. */
  name?: string;
}

let counter = 0;

/**
 * A database of its own for one test file (or test), so files can run in
 * parallel against one server without seeing each other's tables.
 */
export async function createTestDatabase(
  server: Pick<PostgresServer, 'superuserUrl'> & Partial<Pick<PostgresServer, 'source'>>,
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const name = options.name ?? `dbrs_test_${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  if (name.length > 63) {
    throw new DbrsError('INVALID_ARGUMENT', `Database name "${name}" is longer than PostgreSQL's 63-byte limit.`);
  }
  const template = options.template ?? 'template1';
  await withClient(server.superuserUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
        return;
      } catch (error) {
        // 55006: someone is still connected to the template (often a session that is just closing).
        if ((error as { code?: string }).code !== '55006' || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  });
  const url = withDatabase(server.superuserUrl, name);
  if (server.source === 'url' || server.source === 'testcontainers') {
    // We did not prepare that server's template1, so make sure the statistics extension is here.
    await withClient(url, async (client) => {
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch(() => {});
    });
  }
  let dropping: Promise<void> | undefined;
  const drop = (): Promise<void> => {
    dropping ??= withClient(server.superuserUrl, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    });
    return dropping;
  };
  return { name, url, drop, [Symbol.asyncDispose]: drop };
}
