import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@voicehive/db-core';
import { createTestDatabase, getSharedPostgres } from '@voicehive/db-testing';
import { DatabaseMigrationManager, type DatabaseMigrationManagerOptions } from '../src/index.js';

export interface Fixture {
  url: string;
  dir: string;
  db: Database;
  manager(options?: Partial<DatabaseMigrationManagerOptions>): DatabaseMigrationManager;
  write(files: Record<string, string>): Promise<void>;
  cleanup(): Promise<void>;
}

/** A fresh database and migrations directory per test. */
export async function fixture(files: Record<string, string> = {}): Promise<Fixture> {
  const server = await getSharedPostgres();
  const database = await createTestDatabase(server);
  const dir = await mkdtemp(join(tmpdir(), 'dbrs-mig-'));
  const db = createDatabase(database.url);
  const managers: DatabaseMigrationManager[] = [];
  const write = async (more: Record<string, string>) => {
    for (const [name, text] of Object.entries(more)) await writeFile(join(dir, name), text);
  };
  await write(files);
  return {
    url: database.url,
    dir,
    db,
    manager(options = {}) {
      const m = new DatabaseMigrationManager(db, { migrationsDir: dir, retryBaseMs: 50, retryMaxMs: 200, ...options });
      managers.push(m);
      return m;
    },
    write,
    async cleanup() {
      for (const m of managers) await m.close();
      await db.close();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function tableExists(db: Database, name: string): Promise<boolean> {
  const r = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name]);
  return r.rows[0]!.t !== null;
}

export const sqlMigration = (up: string, down?: string, header = ''): string =>
  `${header}-- migrate:up\n${up}\n${down === undefined ? '' : `-- migrate:down\n${down}\n`}`;
