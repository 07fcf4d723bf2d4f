import { getServerVersion, type ServerVersion, withDatabase } from '@voicehive/db-core';
import { withClient } from '../internal/pg-client.js';
import { PASSWORD_ROLE, PASSWORD_ROLE_PASSWORD } from './cluster-config.js';
import type { PasswordRole } from './types.js';

export interface ServerFacts {
  version: ServerVersion;
  hasHypopg: boolean;
  hasQualstats: boolean;
}

/** What the server can do, read from the server itself rather than guessed from files. */
export async function readServerFacts(url: string): Promise<ServerFacts> {
  return withClient(url, async (client) => {
    const version = await getServerVersion(client);
    const res = await client.query<{ name: string }>(
      "SELECT name FROM pg_available_extensions WHERE name IN ('hypopg', 'pg_qualstats')",
    );
    const available = new Set(res.rows.map((row) => row.name));
    const preload = (await client.query<{ v: string }>("SELECT current_setting('shared_preload_libraries') AS v"))
      .rows[0]!.v;
    const preloaded = preload.split(',').map((name) => name.trim());
    return {
      version,
      hasHypopg: available.has('hypopg'),
      hasQualstats: available.has('pg_qualstats') && preloaded.includes('pg_qualstats'),
    };
  });
}

/**
 * Extensions go into template1 so every database created for a test already
 * has them, and into `postgres` which initdb copied before they existed.
 */
export async function installExtensions(url: string, facts: ServerFacts): Promise<void> {
  const extensions = [
    'pg_stat_statements',
    ...(facts.hasHypopg ? ['hypopg'] : []),
    ...(facts.hasQualstats ? ['pg_qualstats'] : []),
  ];
  for (const database of ['template1', 'postgres']) {
    await withClient(withDatabase(url, database), async (client) => {
      for (const extension of extensions) await client.query(`CREATE EXTENSION IF NOT EXISTS ${extension}`);
    });
  }
}

export async function createPasswordRole(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`CREATE ROLE ${PASSWORD_ROLE} LOGIN PASSWORD '${PASSWORD_ROLE_PASSWORD}'`);
  });
}

export function passwordRoleFor(host: string, port: number): PasswordRole {
  return {
    user: PASSWORD_ROLE,
    password: PASSWORD_ROLE_PASSWORD,
    url: `postgres://${PASSWORD_ROLE}:${encodeURIComponent(PASSWORD_ROLE_PASSWORD)}@${host}:${port}/postgres`,
  };
}
