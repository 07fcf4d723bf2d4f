import {
  type Database,
  DbrsError,
  DEFAULT_STATE_SCHEMA,
  ensureSchema,
  isDbrsError,
  locateStateTable,
  PREVIOUS_STATE_SCHEMA,
  quoteQualified,
} from '@voicehive/db-core';
import {
  type MaintenanceResult,
  maintenanceCutoffs,
  type RetentionPolicy,
  type SampleQuery,
  type SampleStore,
  type StoreCallOptions,
  type StoredSample,
} from './sample-store.js';

export interface PostgresSampleStoreOptions {
  /** Schema of the history table. Default `'dbrs'` (the suite's state schema). */
  schema?: string;
  /** Table name. Default `'voicehive_capacity_samples'`. */
  table?: string;
  /**
   * Where an older release kept the table: used while the table is only there (`movedFrom` says so).
   * Default `'public'` when `schema` is not given, else none.
   */
  previousSchema?: string;
  /** Create the schema and table on the first write when missing. Default true. */
  createTable?: boolean;
}

/** DDL for the history table, for an owner to run when the collecting role (pg_monitor) may not create tables. */
export function sampleTableDdl(schema = DEFAULT_STATE_SCHEMA, table = 'voicehive_capacity_samples'): string {
  const t = quoteQualified(schema, table);
  return `CREATE TABLE IF NOT EXISTS ${t} (
  metric text NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  resolution text NOT NULL DEFAULT 'raw' CHECK (resolution IN ('raw', 'hour', 'day')),
  PRIMARY KEY (metric, ts)
)`;
}

/**
 * History in a table of the monitored database itself. The primary key on
 * (metric, ts) with ON CONFLICT DO NOTHING is the second guard against two
 * replicas writing the same sample; the first is the leader lock in the manager.
 * Reads never create anything: before the first write there is no table and
 * the history is empty; the first write creates the schema and the table.
 */
export class PostgresSampleStore implements SampleStore {
  readonly shared = true;
  schema: string;
  readonly table: string;
  /** Set by init() when the table was found only in an older release's schema: the SQL that moves it. */
  movedFrom: { schema: string; sql: string } | undefined;
  readonly #db: Database;
  #qualified: string;
  readonly #create: boolean;
  readonly #previousSchema: string | undefined;
  #exists = false;

  constructor(db: Database, options: PostgresSampleStoreOptions = {}) {
    this.schema = options.schema ?? DEFAULT_STATE_SCHEMA;
    this.#previousSchema = options.previousSchema ?? (options.schema === undefined ? PREVIOUS_STATE_SCHEMA : undefined);
    this.table = options.table ?? 'voicehive_capacity_samples';
    for (const [what, v] of [
      ['schema', this.schema],
      ['table', this.table],
    ] as const) {
      if (typeof v !== 'string' || v.length === 0 || v.length > 63) {
        throw new DbrsError(
          'INVALID_ARGUMENT',
          `The capacity history ${what} name must be 1 to 63 characters, got ${JSON.stringify(v)}.`,
          {
            hint: `Pass a valid PostgreSQL identifier as ${what}.`,
          },
        );
      }
    }
    this.#db = db;
    this.#qualified = quoteQualified(this.schema, this.table);
    this.#create = options.createTable ?? true;
  }

  /** Finds the table (catalog read only). Without it and without `createTable`, says how to create it. */
  async init(options: StoreCallOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const where = await locateStateTable(this.#db, {
      schema: this.schema,
      tables: [this.table],
      previousSchema: this.#previousSchema,
    });
    this.#exists = where.exists;
    if (where.moveSql) {
      this.movedFrom = { schema: where.schema, sql: where.moveSql };
      this.schema = where.schema;
      this.#qualified = quoteQualified(this.schema, this.table);
    }
    if (!where.exists && !this.#create) {
      throw new DbrsError('NOT_FOUND', `The capacity history table ${this.schema}.${this.table} does not exist.`, {
        hint: 'Create it with sampleTableDdl() as its owner, or set createTable: true.',
      });
    }
  }

  async #ensureTable(options: StoreCallOptions): Promise<void> {
    if (this.#exists) return;
    try {
      await this.#db.withClient(async (client) => {
        // Two replicas writing first together would both try CREATE; serialise them on a transaction lock.
        await client.query('BEGIN');
        try {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#qualified]);
          await ensureSchema(client, this.schema);
          await client.query(sampleTableDdl(this.schema, this.table));
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      }, options);
      this.#exists = true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === '42501' || isDbrsError(err, 'PERMISSION_DENIED')) {
        throw new DbrsError(
          'PERMISSION_DENIED',
          `The role may not create the capacity history table ${this.schema}.${this.table}.`,
          {
            cause: err,
            hint: 'Have the owner run sampleTableDdl() and GRANT SELECT, INSERT, DELETE on it to this role, or use a MemorySampleStore.',
          },
        );
      }
      throw err;
    }
  }

  async write(samples: readonly StoredSample[], options: StoreCallOptions = {}): Promise<number> {
    const ok = samples.filter((s) => Number.isFinite(s.value) && Number.isFinite(s.ts.getTime()));
    if (ok.length === 0) return 0;
    await this.#ensureTable(options);
    const res = await this.#db.query(
      `INSERT INTO ${this.#qualified} (metric, ts, value)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[])
       ON CONFLICT (metric, ts) DO NOTHING`,
      [ok.map((s) => s.metric), ok.map((s) => s.ts.toISOString()), ok.map((s) => s.value)],
      options,
    );
    return res.rowCount ?? 0;
  }

  async read(q: SampleQuery, options: StoreCallOptions = {}): Promise<StoredSample[]> {
    if (!this.#exists && !(await this.#tableAppeared())) return [];
    const res = await this.#db.query<{ metric: string; ts: Date; value: number }>(
      `SELECT metric, ts, value FROM ${this.#qualified}
       WHERE ($1::text[] IS NULL AND $2::text IS NULL
              OR metric = ANY($1::text[])
              OR ($2::text IS NOT NULL AND starts_with(metric, $2::text)))
         AND ($3::timestamptz IS NULL OR ts >= $3::timestamptz)
         AND ($4::timestamptz IS NULL OR ts < $4::timestamptz)
       ORDER BY metric, ts`,
      [q.metrics ?? null, q.prefix ?? null, q.since?.toISOString() ?? null, q.until?.toISOString() ?? null],
      options,
    );
    return res.rows.map((r) => ({ metric: r.metric, ts: new Date(r.ts), value: Number(r.value) }));
  }

  /** Downsamples and expires in one transaction, so a reader never sees a bucket both raw and averaged. */
  async maintain(policy: RetentionPolicy, now: Date, options: StoreCallOptions = {}): Promise<MaintenanceResult> {
    const cut = maintenanceCutoffs(policy, now);
    if (!this.#exists && !(await this.#tableAppeared())) return { downsampled: 0, deleted: 0 };
    return this.#db.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        let downsampled = 0;
        for (const [resolutions, unit, cutoff, to] of [
          [['raw'], 'hour', cut.raw, 'hour'],
          [['raw', 'hour'], 'day', cut.hourly, 'day'],
        ] as const) {
          // Aggregate, delete, re-insert as three statements: one statement that deleted and
          // upserted the same key (a raw sample exactly on the hour) would trip over its own row.
          const agg = await client.query<{ metric: string; bucket: Date; value: number; n: string }>(
            `SELECT metric, date_trunc($3, ts, 'UTC') AS bucket, avg(value) AS value, count(*) AS n
             FROM ${this.#qualified} WHERE resolution = ANY($1::text[]) AND ts < $2 GROUP BY 1, 2`,
            [resolutions, cutoff.toISOString(), unit],
          );
          if (agg.rows.length === 0) continue;
          await client.query(`DELETE FROM ${this.#qualified} WHERE resolution = ANY($1::text[]) AND ts < $2`, [
            resolutions,
            cutoff.toISOString(),
          ]);
          await client.query(
            `INSERT INTO ${this.#qualified} (metric, ts, value, resolution)
             SELECT m, b, v, $4 FROM unnest($1::text[], $2::timestamptz[], $3::float8[]) AS u(m, b, v)
             ON CONFLICT (metric, ts) DO UPDATE SET value = EXCLUDED.value, resolution = EXCLUDED.resolution`,
            [
              agg.rows.map((r) => r.metric),
              agg.rows.map((r) => new Date(r.bucket).toISOString()),
              agg.rows.map((r) => Number(r.value)),
              to,
            ],
          );
          downsampled += agg.rows.reduce((a, r) => a + Number(r.n), 0);
        }
        const del = await client.query(`DELETE FROM ${this.#qualified} WHERE ts < $1`, [cut.retention.toISOString()]);
        await client.query('COMMIT');
        return { downsampled, deleted: del.rowCount ?? 0 };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }, options);
  }

  /** Another replica may have written first since init(). */
  async #tableAppeared(): Promise<boolean> {
    const res = await this.#db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [this.#qualified]);
    this.#exists = Boolean(res.rows[0]?.t);
    return this.#exists;
  }

  async close(): Promise<void> {}
}
