import {
  ensureSchema,
  errorMessage,
  locateStateTable,
  type Queryable,
  quoteIdent,
  rowsOrNoneIfMissing,
} from '@voicehive/db-core';
import type pg from 'pg';
import type { SchemaSnapshot } from '../rehearsal/schema-snapshot.js';

export interface AppliedMigration {
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  appliedBy: string;
  irreversible: boolean;
}

export const BASELINE = '$baseline';

/**
 * The migration log table and its schema-snapshot companion. Rows are written
 * by the runner inside the migration's own transaction; umzug's
 * logMigration/unlogMigration are no-ops (see umzug-runner.ts). Reads never
 * create anything (no table yet: nothing applied); `ensure()` runs before the
 * first write, under the global migration lock.
 */
export class MigrationStorage {
  table: string;
  snapshotTable: string;
  schema: string;
  readonly tableName: string;

  constructor(schema: string, tableName: string) {
    this.tableName = tableName;
    this.schema = schema;
    this.table = '';
    this.snapshotTable = '';
    this.#use(schema);
  }

  #use(schema: string): void {
    this.schema = schema;
    this.table = `${quoteIdent(schema)}.${quoteIdent(this.tableName)}`;
    this.snapshotTable = `${quoteIdent(schema)}.${quoteIdent(`${this.tableName}_schema`)}`;
  }

  /**
   * Finds the log by reading the catalog. When it exists only in `previousSchema` (an older release's
   * default), that location is kept — a fresh log would make every migration pending again — and the
   * statements that move it are returned for the caller to log.
   */
  async locate(db: Queryable, previousSchema: string | undefined): Promise<string | undefined> {
    const where = await locateStateTable(db, {
      schema: this.schema,
      tables: [this.tableName, `${this.tableName}_schema`],
      previousSchema,
    });
    if (where.moveSql) this.#use(where.schema);
    return where.moveSql;
  }

  /**
   * Idempotent. Two runners starting together race in CREATE ... IF NOT
   * EXISTS (the loser gets 23505 on pg_type or 42P07); the loser retries and
   * finds the tables. No blocking lock is taken here on purpose.
   */
  async ensure(db: Queryable): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#create(db);
        return;
      } catch (err) {
        const code =
          (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
        const raced =
          ['23505', '42P07', '42P06', '42710'].includes(code ?? '') ||
          /\((23505|42P07|42P06|42710)\)/.test(errorMessage(err));
        if (!raced || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  }

  async #create(db: Queryable): Promise<void> {
    await ensureSchema(db, this.schema);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      duration_ms integer NOT NULL,
      applied_by text NOT NULL,
      irreversible boolean NOT NULL DEFAULT false
    )`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.snapshotTable} (
      name text PRIMARY KEY,
      snapshot jsonb NOT NULL,
      taken_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async applied(db: Queryable): Promise<AppliedMigration[]> {
    const res = await rowsOrNoneIfMissing(
      db.query<{
        name: string;
        checksum: string;
        applied_at: Date;
        duration_ms: number;
        applied_by: string;
        irreversible: boolean;
      }>(`SELECT name, checksum, applied_at, duration_ms, applied_by, irreversible FROM ${this.table} ORDER BY name`),
    );
    return res.rows.map((r) => ({
      name: r.name,
      checksum: r.checksum,
      appliedAt: r.applied_at,
      durationMs: r.duration_ms,
      appliedBy: r.applied_by,
      irreversible: r.irreversible,
    }));
  }

  async record(
    client: pg.ClientBase,
    row: Omit<AppliedMigration, 'appliedAt'>,
    snapshot: SchemaSnapshot | undefined,
  ): Promise<void> {
    await client.query(
      `INSERT INTO ${this.table} (name, checksum, duration_ms, applied_by, irreversible) VALUES ($1, $2, $3, $4, $5)`,
      [row.name, row.checksum, Math.round(row.durationMs), row.appliedBy, row.irreversible],
    );
    if (snapshot) await this.saveSnapshot(client, row.name, snapshot);
  }

  async saveSnapshot(client: Queryable, name: string, snapshot: SchemaSnapshot): Promise<void> {
    await client.query(
      `INSERT INTO ${this.snapshotTable} (name, snapshot) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO UPDATE SET snapshot = EXCLUDED.snapshot, taken_at = now()`,
      [name, JSON.stringify(snapshot)],
    );
  }

  async snapshot(db: Queryable, name: string): Promise<SchemaSnapshot | undefined> {
    const res = await rowsOrNoneIfMissing(
      db.query<{ snapshot: SchemaSnapshot }>(`SELECT snapshot FROM ${this.snapshotTable} WHERE name = $1`, [name]),
    );
    return res.rows[0]?.snapshot;
  }

  async remove(client: pg.ClientBase, name: string): Promise<void> {
    await client.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
    await client.query(`DELETE FROM ${this.snapshotTable} WHERE name = $1`, [name]);
  }

  async updateChecksum(db: Queryable, name: string, checksum: string): Promise<boolean> {
    const res = await db.query(`UPDATE ${this.table} SET checksum = $2 WHERE name = $1`, [name, checksum]);
    return (res.rowCount ?? 0) > 0;
  }
}
