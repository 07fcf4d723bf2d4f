import type { Kysely, sql as sqlTag } from 'kysely';

/** What a `.ts`/`.js`/`.mjs` migration's `up`/`down` receives. */
export interface MigrationContext {
  /** Kysely bound to the migration's own connection (inside its transaction unless `transaction = false`). */
  // biome-ignore lint/suspicious/noExplicitAny: migrations run against any schema.
  db: Kysely<any>;
  /** Kysely's `sql` template tag. */
  sql: typeof sqlTag;
}

export type MigrationFn = (ctx: MigrationContext) => Promise<unknown> | unknown;

/** A migration found in the migrations directory, ready to run. */
export interface MigrationSource {
  /** File name without extension; the order of migrations is the sort order of names. */
  name: string;
  /** Absolute path of the file. */
  path: string;
  kind: 'sql' | 'module';
  /** False for `-- dbrs:no-transaction` files and modules exporting `transaction = false`. */
  transactional: boolean;
  /** Declared irreversible (`-- dbrs:irreversible`, or `export const irreversible = true`). */
  irreversible: boolean;
  /** SHA-256 (hex) of the file's bytes. */
  checksum: string;
  /** SQL text of the up and down sections (SQL files only). */
  upSql?: string;
  downSql?: string;
  /** 1-based line where the up / down sections start in the file (SQL files). */
  upLine?: number;
  downLine?: number;
  /** Module functions (modules only), loaded on first use. */
  load?: () => Promise<{ up: MigrationFn; down?: MigrationFn }>;
}
