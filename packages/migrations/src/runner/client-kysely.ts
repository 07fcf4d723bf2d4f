import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryResult, sql } from 'kysely';

/** Runs one SQL text; the runner supplies a function that executes, traces or only records. */
export type StatementExecutor = (
  sql: string,
  parameters: readonly unknown[],
) => Promise<{ rows: unknown[]; rowCount?: number | null }>;

class SingleConnection implements DatabaseConnection {
  readonly exec: StatementExecutor;
  constructor(exec: StatementExecutor) {
    this.exec = exec;
  }
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const res = await this.exec(compiled.sql, compiled.parameters);
    const n = res.rowCount ?? undefined;
    return { rows: res.rows as R[], ...(n !== undefined ? { numAffectedRows: BigInt(n) } : {}) };
  }
  // biome-ignore lint/correctness/useYield: streaming is not offered to migrations.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported inside migrations.');
  }
}

/**
 * The runner owns BEGIN/COMMIT. A migration calling db.transaction() gets a
 * savepoint-free pass-through: its statements are already inside the
 * migration's transaction (or, for no-transaction migrations, autocommit).
 */
class SingleConnectionDriver implements Driver {
  readonly #conn: SingleConnection;
  constructor(exec: StatementExecutor) {
    this.#conn = new SingleConnection(exec);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#conn;
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

/**
 * A Kysely whose every compiled query goes through `exec` (one connection, recorded or traced), and kysely's
 * `sql` tag, both given to a TypeScript migration. Kysely (about 250 modules) is imported here, when a
 * TypeScript migration runs, not when the package is: `dbrs status` reads migration state and never needs it.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against any schema.
export async function kyselyOver(exec: StatementExecutor): Promise<{ db: Kysely<any>; sql: typeof sql }> {
  const k = await import('kysely');
  const dialect: Dialect = {
    createAdapter: () => new k.PostgresAdapter(),
    createDriver: () => new SingleConnectionDriver(exec),
    createIntrospector: (db) => new k.PostgresIntrospector(db),
    createQueryCompiler: () => new k.PostgresQueryCompiler(),
  };
  return { db: new k.Kysely({ dialect }), sql: k.sql };
}
