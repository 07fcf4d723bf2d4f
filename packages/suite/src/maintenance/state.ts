import { type Database, DEFAULT_STATE_SCHEMA, ensureSchema, quoteIdent } from '@voicehive/db-core';

/**
 * When each maintenance task last completed, shared by every replica through
 * the database, so a task runs once per interval however many instances run
 * cycles. Only read and written while holding the maintenance leader lock.
 */
export class MaintenanceState {
  readonly #db: Database;
  readonly #schemaName: string;
  readonly #table: string;
  #ready = false;

  constructor(db: Database, options: { schema?: string; table?: string } = {}) {
    this.#db = db;
    this.#schemaName = options.schema ?? DEFAULT_STATE_SCHEMA;
    this.#table = `${quoteIdent(this.#schemaName)}.${quoteIdent(options.table ?? 'dbrs_maintenance_state')}`;
  }

  async lastCompleted(signal?: AbortSignal): Promise<Map<string, Date>> {
    await this.#ensure(signal);
    const res = await this.#db.query<{ task: string; last_completed_at: Date }>(
      `SELECT task, last_completed_at FROM ${this.#table}`,
      [],
      { signal },
    );
    return new Map(res.rows.map((r) => [r.task, r.last_completed_at]));
  }

  async markCompleted(task: string, at: Date): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${this.#table} (task, last_completed_at) VALUES ($1, $2)
       ON CONFLICT (task) DO UPDATE SET last_completed_at = EXCLUDED.last_completed_at`,
      [task, at],
    );
  }

  async #ensure(signal?: AbortSignal): Promise<void> {
    if (this.#ready) return;
    // Only ever reached under the maintenance leader lock, so two replicas do not race on CREATE SCHEMA.
    await ensureSchema(this.#db, this.#schemaName);
    await this.#db.query(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (task text PRIMARY KEY, last_completed_at timestamptz NOT NULL)`,
      [],
      { signal },
    );
    this.#ready = true;
  }
}
