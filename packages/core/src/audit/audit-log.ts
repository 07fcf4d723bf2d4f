import type { Database } from '../database/database.js';
import {
  DEFAULT_STATE_SCHEMA,
  ensureSchema,
  locateStateTable,
  PREVIOUS_STATE_SCHEMA,
  rowsOrNoneIfMissing,
} from '../database/state-table.js';
import { DbrsError } from '../errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redact } from '../util/redact.js';
import { quoteIdent } from '../util/sql.js';

export type AuditOutcome = 'success' | 'failure' | 'started' | 'skipped';

export interface AuditEntry {
  /** Who did it: a user, a service account, `scheduler`, `cli`. */
  actor: string;
  /** Dotted verb: `backup.create`, `migration.apply`, `maintenance.analyze`. */
  action: string;
  /** What it was done to: a database, a backup id, a migration name. */
  target: string;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  time: string;
  /** From `record()`: false when the table write failed (logged and counted; the action's outcome stands). */
  stored?: boolean;
}

export interface AuditLogOptions {
  logger?: Logger;
  /** Also append to a table. Default: no table. */
  database?: Database<any>;
  /** Default `'dbrs'` (the suite's state schema), created with the table on the first write. */
  schema?: string;
  /** Default `'dbrs_audit_log'`. */
  table?: string;
  /**
   * Where an older release kept the table: used (with a warning naming the move) while the table is only
   * there. Default `'public'` when `schema` is not given, else none.
   */
  previousSchema?: string;
  /** Counts failed table writes as `audit_write_failures_total{action}`. */
  metrics?: Metrics;
}

/**
 * Append-only record of what the suite did. Every entry goes to the logger;
 * with a database it is also inserted into a table whose trigger refuses
 * UPDATE and DELETE, so the history cannot be rewritten through the suite's
 * own role by accident. Details are scrubbed of secrets before either write.
 *
 * The policy, one sentence: an audit write that fails after the action has
 * happened is logged (`audit_write_failed`) and counted
 * (`audit_write_failures_total`), and never changes the action's outcome —
 * `record()` does not throw for it.
 */
export class AuditLog {
  readonly #logger: Logger;
  readonly #db: Database<any> | undefined;
  readonly #schema: string;
  readonly #table: string;
  readonly #previousSchema: string | undefined;
  readonly #failures: { inc(labels: { action: string }): void } | undefined;
  #ready: Promise<void> | undefined;
  #located: Promise<string> | undefined;

  async #qualified(): Promise<string> {
    return `${quoteIdent(await this.#schemaInUse())}.${quoteIdent(this.#table)}`;
  }

  constructor(options: AuditLogOptions = {}) {
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'audit' });
    this.#failures = options.metrics?.counter({
      name: 'audit_write_failures_total',
      help: 'Audit entries that could not be written to the audit table (the action itself stood).',
      labelNames: ['action'],
    });
    this.#db = options.database;
    this.#schema = options.schema ?? DEFAULT_STATE_SCHEMA;
    this.#table = options.table ?? 'dbrs_audit_log';
    this.#previousSchema = options.previousSchema ?? (options.schema === undefined ? PREVIOUS_STATE_SCHEMA : undefined);
  }

  /** The table's schema: the configured one, or an older release's while the table is only there. */
  #schemaInUse(): Promise<string> {
    this.#located ??= locateStateTable(this.#db!, {
      schema: this.#schema,
      tables: [this.#table],
      previousSchema: this.#previousSchema,
    }).then(
      (where) => {
        if (where.moveSql) {
          this.#logger.warn(
            { event: 'state_table_previous_location', table: this.#table, schema: where.schema, sql: where.moveSql },
            `the audit log is still in schema ${where.schema}; move it with: ${where.moveSql}`,
          );
        }
        return where.schema;
      },
      (err) => {
        this.#located = undefined;
        throw err;
      },
    );
    return this.#located;
  }

  /** Creates the table and its append-only trigger if missing. Called on first write. */
  ensureTable(): Promise<void> {
    if (!this.#db) return Promise.resolve();
    this.#ready ??= this.#createTable().catch((err) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async record(entry: AuditEntry): Promise<AuditRecord> {
    if (!entry.actor || !entry.action || !entry.target) {
      throw new DbrsError('INVALID_ARGUMENT', 'An audit entry needs actor, action and target.');
    }
    const rec: AuditRecord = { ...redact(entry), time: new Date().toISOString() };
    // The line's own `timestamp` is the time; a second `time` key would make two clocks on one line.
    const { time: _time, ...fields } = rec;
    this.#logger.info({ event: 'audit', ...fields }, `${rec.action} ${rec.outcome}`);
    if (!this.#db) return rec;
    try {
      await this.ensureTable();
      await this.#db.query(
        `INSERT INTO ${await this.#qualified()} (at, actor, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6)`,
        [rec.time, rec.actor, rec.action, rec.target, rec.outcome, JSON.stringify(rec.details ?? {})],
      );
      return { ...rec, stored: true };
    } catch (err) {
      this.#logger.error(
        { event: 'audit_write_failed', action: rec.action, target: rec.target, outcome: rec.outcome, err },
        `audit entry ${rec.action} ${rec.outcome} not stored`,
      );
      this.#failures?.inc({ action: rec.action });
      return { ...rec, stored: false };
    }
  }

  /** Newest first. A read: before the first write there is no table, and the list is empty. */
  async list(options: { limit?: number; action?: string } = {}): Promise<AuditRecord[]> {
    if (!this.#db) return [];
    const table = await this.#qualified();
    const res = await rowsOrNoneIfMissing(
      this.#db.query<{
        at: Date;
        actor: string;
        action: string;
        target: string;
        outcome: AuditOutcome;
        details: Record<string, unknown>;
      }>(
        `SELECT at, actor, action, target, outcome, details FROM ${table}
        WHERE ($1::text IS NULL OR action = $1) ORDER BY id DESC LIMIT $2`,
        [options.action ?? null, options.limit ?? 100],
      ),
    );
    return res.rows.map((r) => ({ ...r, time: r.at.toISOString() }));
  }

  async #createTable(): Promise<void> {
    const schemaName = await this.#schemaInUse();
    await ensureSchema(this.#db!, schemaName);
    const schema = quoteIdent(schemaName);
    const table = `${schema}.${quoteIdent(this.#table)}`;
    // The trigger function lives beside the table: unqualified it would land in the search_path's first schema.
    const fn = `${schema}.${quoteIdent(`${this.#table}_append_only`)}`;
    await this.#db!.query(`
      CREATE TABLE IF NOT EXISTS ${table} (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        outcome text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'
      );
      CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
      DO $$ BEGIN
        CREATE TRIGGER ${quoteIdent(`${this.#table}_no_change`)} BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION ${fn}();
      EXCEPTION WHEN duplicate_object THEN NULL; END $$;`);
  }
}

export function createAuditLog(options: AuditLogOptions = {}): AuditLog {
  return new AuditLog(options);
}
