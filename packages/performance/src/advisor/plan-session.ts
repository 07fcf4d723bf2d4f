import {
  type Database,
  DBRS_TAG,
  errorMessage,
  mapDatabaseError,
  quoteIdent,
  quoteLiteral,
  tagSql,
} from '@voicehive/db-core';
import pg from 'pg';

export interface PlanNode {
  'Node Type': string;
  'Total Cost': number;
  'Plan Rows': number;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  Filter?: string;
  'Index Cond'?: string;
  'Join Filter'?: string;
  'Hash Cond'?: string;
  'Merge Cond'?: string;
  'Sort Key'?: string[];
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Temp Written Blocks'?: number;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

export type ExplainOutcome = { ok: true; plan: PlanNode; cost: number } | { ok: false; error: string };

export interface PlanSessionOptions {
  serverMajor: number;
  /** statement_timeout for EXPLAIN on this session, ms. */
  timeoutMs: number;
  /** Schema hypopg lives in, when installed. */
  hypopgSchema?: string;
  /**
   * How existing indexes may be hidden for what-if drops: `auto` uses hypopg_hide_index when hypopg has it,
   * else the pg_index method when this role is a superuser on a primary; `hypopg` never touches catalogs;
   * `off` (default) hides nothing and costs no round trip.
   */
  hideIndexes?: 'auto' | 'hypopg' | 'off';
}

/**
 * `hypopg_hide_index`: hypopg ≥ 1.4 hides the index from this backend's planner.
 * `pg_index`: `UPDATE pg_index SET indisvalid = false` inside a transaction that is always rolled back. The
 * planner skips invalid indexes (plancat.c get_relation_info) and the update is invisible to every other
 * session because it never commits; it needs a superuser and a writable primary.
 */
export type HideMethod = 'hypopg_hide_index' | 'pg_index';

/** Every index name the plan uses (hypothetical ones look like `<13741>btree_bookings_status`). */
export function indexNamesInPlan(plan: PlanNode): Set<string> {
  const out = new Set<string>();
  const visit = (n: PlanNode): void => {
    if (n['Index Name']) out.add(n['Index Name']);
    for (const c of n.Plans ?? []) visit(c);
  };
  visit(plan);
  return out;
}

/**
 * Session setting listing the oids of the transient indexes created so far in the message being run (see
 * `createTransientSql`): their oids are not known when the message is written.
 */
const TRANSIENT_SETTING = 'dbrs.transient_hypothetical';

/** Every relation a plan scans, by name (EXPLAIN without VERBOSE names no schema). */
export function relationNamesInPlan(plan: PlanNode): Set<string> {
  const out = new Set<string>();
  const visit = (n: PlanNode): void => {
    if (n['Relation Name']) out.add(n['Relation Name']);
    for (const c of n.Plans ?? []) visit(c);
  };
  visit(plan);
  return out;
}

/**
 * One dedicated connection for planning: hypothetical indexes live in the
 * backend's private memory, and `plan_cache_mode` must not leak into the
 * application's pooled sessions. Statements from pg_stat_statements carry
 * $n placeholders: PG16+ plans them with EXPLAIN (GENERIC_PLAN); on older
 * servers each is PREPAREd and run as EXPLAIN EXECUTE with NULL arguments
 * under plan_cache_mode = force_generic_plan, which yields the same generic
 * plan (the values never reach the planner), as Dexter does.
 */
export class PlanSession implements AsyncDisposable {
  readonly #client: pg.Client;
  readonly #options: PlanSessionOptions;
  /** Hypothetical indexes created through `createHypothetical` and not dropped: what a failed batch must keep. */
  readonly #held = new Set<number>();
  /** Definitions passed to `holdLater` and not yet sent: created at the start of the next round trip. */
  #pending: string[] = [];
  /** SQL round trips made on this session (reported by benchmarks). */
  roundTrips = 0;
  /** How this session can hide existing indexes for what-if drops; null when it cannot. */
  hideMethod: HideMethod | null = null;

  private constructor(client: pg.Client, options: PlanSessionOptions) {
    this.#client = client;
    this.#options = options;
  }

  static async open(db: Database, options: PlanSessionOptions): Promise<PlanSession> {
    const client = new pg.Client(db.clientConfig({ application_name: 'voicehive-dbrs-advisor' }));
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query(
        `SET statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}; SET plan_cache_mode = force_generic_plan`,
      );
    } catch (err) {
      await client.end().catch(() => {});
      throw mapDatabaseError(err, db.info);
    }
    // Untracked, because each EXPLAIN counts as a call of the statement it plans (PG15: the statement's own entry;
    // PG17: a nested entry with its queryid), which would inflate the workload; only a superuser may set this.
    await client.query('SET pg_stat_statements.track = none').catch(() => {});
    const session = new PlanSession(client, options);
    session.roundTrips = 3;
    if (options.hideIndexes && options.hideIndexes !== 'off') {
      // hypopg_hide_index arrived in hypopg 1.4 (Debian 12 ships 1.3.1).
      const hypopgFn = options.hypopgSchema ? `${quoteIdent(options.hypopgSchema)}.hypopg_hide_index` : null;
      const res = await client.query(
        `SELECT $1::text IS NOT NULL AND to_regproc($1::text) IS NOT NULL AS hypopg_hide,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
                pg_is_in_recovery() OR current_setting('transaction_read_only')::bool AS read_only`,
        [hypopgFn],
      );
      session.roundTrips++;
      const row = res.rows[0] ?? {};
      if (row.hypopg_hide) session.hideMethod = 'hypopg_hide_index';
      else if (options.hideIndexes === 'auto' && row.superuser && !row.read_only) session.hideMethod = 'pg_index';
    }
    return session;
  }

  get hasHypopg(): boolean {
    return this.#options.hypopgSchema !== undefined;
  }

  /** Every call that plans goes through here: indexes queued by `holdLater` exist before it is sent. */
  async #run(text: string, values?: unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    await this.#materialize();
    return this.#send(text, values);
  }

  async #send(text: string, values?: unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    this.roundTrips++;
    return (await this.#client.query(tagSql(text), values)) as unknown as pg.QueryResult | pg.QueryResult[];
  }

  /**
   * Queues a hypothetical index the session will hold (as `createHypothetical` does) without a round trip of its
   * own: the selection picks indexes one by one, and most picks are followed by no planning at all until
   * several later picks, so their creations ride at the head of the next message (`runBatch`), or are sent
   * together before the next single call.
   */
  holdLater(definition: string): void {
    this.#pending.push(definition);
  }

  /** Creates the indexes `holdLater` queued, in one round trip, before a single call. A refused definition throws. */
  async #materialize(): Promise<void> {
    if (this.#pending.length === 0) return;
    const defs = this.#pending;
    this.#pending = [];
    let res: pg.QueryResult | pg.QueryResult[];
    try {
      res = await this.#send(defs.map((d) => `${DBRS_TAG} ${this.createSql(d)}`).join('; '));
    } catch (err) {
      await this.recover();
      // As in runBatch: `recover` dropped them (not held yet), so they stay queued for the next message.
      this.#pending = [...defs, ...this.#pending];
      throw err;
    }
    for (const r of Array.isArray(res) ? res : [res]) this.#held.add(Number(r.rows[0]!['oid']));
  }

  /** Drops every hypothetical index this session holds in one round trip; queued ones are never created. */
  async dropHeld(): Promise<void> {
    this.#pending = [];
    if (this.#held.size === 0) return;
    const oids = [...this.#held].map((o) => Math.trunc(o));
    await this.#send(`SELECT count(${this.#fn('hypopg_drop_index')}(o)) FROM unnest($1::oid[]) o`, [oids]);
    this.#held.clear();
  }

  /**
   * EXPLAIN of one workload statement. With `values` (SQL literals, one per parameter) it is a custom plan for
   * those values, as the application's own executions get once the plan cache judges a generic plan worse:
   * the way to see that `status = 'pending'` is rare where the generic plan assumes an average.
   */
  async explain(
    text: string,
    paramCount: number,
    options: { extra?: string; values?: (string | null)[] } = {},
  ): Promise<ExplainOutcome> {
    const sql = this.explainSql(text, paramCount, options);
    try {
      const results = await this.runBatch(sql.parts);
      return { ok: true, ...readPlan(results[sql.planAt]!) };
    } catch (err) {
      await this.recover();
      return { ok: false, error: errorMessage(err) };
    }
  }

  /**
   * The statements (each tagged, in order) that EXPLAIN one workload statement, and which of their results is
   * the plan: what `explain` sends, and what a batch of several EXPLAINs strings together in one round trip.
   */
  explainSql(
    text: string,
    paramCount: number,
    options: { extra?: string; values?: (string | null)[] } = {},
  ): { parts: string[]; planAt: number } {
    const known = options.values;
    if (known && known.length === paramCount && known.some((v) => v === null) && known.some((v) => v !== null)) {
      // Some values known: they go into the text as literals, the rest stay parameters of a generic plan.
      const bound = bindKnownValues(text, known);
      return this.explainSql(bound.text, bound.paramCount, options.extra ? { extra: options.extra } : {});
    }
    // The newline ends a trailing `--` comment in the statement text before our own statements.
    const body = `${text.trim().replace(/;+\s*$/, '')}\n`;
    const extra = options.extra ?? '';
    if (known && paramCount > 0 && known.length === paramCount) {
      return {
        parts: [
          'SET plan_cache_mode = force_custom_plan',
          `PREPARE dbrs_plan AS ${body}`,
          `EXPLAIN (FORMAT JSON${extra}) EXECUTE dbrs_plan(${known.join(', ')})`,
          'DEALLOCATE dbrs_plan',
          'SET plan_cache_mode = force_generic_plan',
        ],
        planAt: 2,
      };
    }
    if (this.#options.serverMajor >= 16 && paramCount > 0)
      return { parts: [`EXPLAIN (GENERIC_PLAN, FORMAT JSON${extra}) ${body}`], planAt: 0 };
    if (paramCount === 0) return { parts: [`EXPLAIN (FORMAT JSON${extra}) ${body}`], planAt: 0 };
    // One fixed name keeps the PREPARE text stable per statement, so where utility statements are
    // tracked they add one pg_stat_statements entry per statement rather than one per EXPLAIN.
    const args = Array.from({ length: paramCount }, () => 'NULL').join(', ');
    // Executor-start partition pruning runs with the NULL arguments and removes every partition ("Subplans
    // Removed"), so the plan would name no index at all although the generic plan's cost counts them; with
    // pruning off the plan keeps every partition's scan. The generic plan's cost is the same either way.
    return {
      parts: [
        'SET enable_partition_pruning = off',
        `PREPARE dbrs_plan AS ${body}`,
        `EXPLAIN (FORMAT JSON${extra}) EXECUTE dbrs_plan(${args})`,
        'DEALLOCATE dbrs_plan',
        'RESET enable_partition_pruning',
      ],
      planAt: 2,
    };
  }

  /**
   * Several statements in one simple-protocol message: one round trip, one result per statement. Each carries
   * the tag, because pg_stat_statements keeps each one's text from just after the previous semicolon. The
   * message runs as one implicit transaction: the first error ends it, and `recover` must run before the next.
   */
  async runBatch(parts: string[]): Promise<pg.QueryResult[]> {
    // Indexes queued by `holdLater` are created at the head of the message. When it fails they are dropped by
    // `recover` (they are not held yet) and stay queued.
    const pending = this.#pending;
    const head = pending.map((d) => this.createSql(d));
    const res = await this.#send(
      [...head, ...parts].map((p) => (p.startsWith(DBRS_TAG) ? p : `${DBRS_TAG} ${p}`)).join('; '),
    );
    const all = Array.isArray(res) ? res : [res];
    if (pending.length > 0) {
      for (const r of all.slice(0, head.length)) this.#held.add(Number(r.rows[0]!['oid']));
      this.#pending = [];
    }
    return all.slice(head.length);
  }

  /**
   * After a failed batch or EXPLAIN: a PREPARE that ran before the error leaves dbrs_plan behind (the next
   * would collide), the planner settings go back to this session's own, and hypothetical indexes the batch
   * created (hypopg's live outside transactions) are dropped, keeping the ones this session holds.
   */
  async recover(): Promise<void> {
    await this.#send(
      [
        'DEALLOCATE ALL',
        `${DBRS_TAG} RESET enable_partition_pruning`,
        `${DBRS_TAG} SET plan_cache_mode = force_generic_plan`,
        ...(this.hasHypopg ? [`${DBRS_TAG} ${this.dropUnheldSql()}`] : []),
      ].join('; '),
    ).catch(() => {});
  }

  /** Hypothetical index definitions → the statement creating each in a batch (its oid, name and size come back). */
  createSql(definition: string): string {
    return `SELECT h.indexrelid::int8 AS oid, h.indexname AS name, ${this.#fn('hypopg_relation_size')}(h.indexrelid)::int8 AS size
         FROM ${this.#fn('hypopg_create_index')}(${quoteLiteral(definition)}) h`;
  }

  /** Drops every hypothetical index of this backend except those the session holds (created by `createHypothetical`). */
  dropUnheldSql(): string {
    const keep = [...this.#held].map((o) => Math.trunc(o)).join(',');
    return `SELECT count(${this.#fn('hypopg_drop_index')}(h.indexrelid)) AS dropped FROM ${this.#fn('hypopg')}() h
      WHERE h.indexrelid <> ALL ('{${keep}}'::oid[])`;
  }

  /**
   * Creates a hypothetical index inside a message (its oid, name and size come back) that the next
   * `dropTransientSql` of the same message drops. Dropping by what was created costs nothing per index held,
   * where "every index but the held ones" compared each of ~1,000 held indexes with each other (a second per
   * message at 1,000 picks).
   */
  createTransientSql(definition: string): string {
    return `SELECT h.indexrelid::int8 AS oid, h.indexname AS name, ${this.#fn('hypopg_relation_size')}(h.indexrelid)::int8 AS size,
        set_config('${TRANSIENT_SETTING}', concat_ws(',', nullif(current_setting('${TRANSIENT_SETTING}', true), ''), h.indexrelid::text), false) AS transient
      FROM ${this.#fn('hypopg_create_index')}(${quoteLiteral(definition)}) h`;
  }

  /**
   * Drops the indexes `createTransientSql` made earlier in this message and empties the list: one statement,
   * the drops in a subquery the outer row (which resets the setting) can only be built after.
   */
  dropTransientSql(): string {
    return `SELECT d.dropped, set_config('${TRANSIENT_SETTING}', '', false) AS transient
      FROM (SELECT count(${this.#fn('hypopg_drop_index')}(o::oid)) AS dropped
              FROM unnest(string_to_array(nullif(current_setting('${TRANSIENT_SETTING}', true), ''), ',')) o) d`;
  }

  #fn(name: string): string {
    return `${quoteIdent(this.#options.hypopgSchema!)}.${name}`;
  }

  async createHypothetical(definition: string): Promise<{ oid: number; name: string; sizeBytes: number }> {
    const res = (await this.#run(
      `SELECT h.indexrelid::int8 AS oid, h.indexname AS name, ${this.#fn('hypopg_relation_size')}(h.indexrelid)::int8 AS size
         FROM ${this.#fn('hypopg_create_index')}($1) h`,
      [definition],
    )) as pg.QueryResult;
    const row = res.rows[0]!;
    this.#held.add(Number(row['oid']));
    return { oid: Number(row['oid']), name: String(row['name']), sizeBytes: Number(row['size']) };
  }

  /**
   * Several hypothetical indexes held at once, in one round trip (the final validation creates every chosen
   * index: ~1,000 at 1,000 statements). When the message fails the indexes are created one by one, so a refused
   * definition throws as `createHypothetical` does.
   */
  async createHypotheticals(definitions: string[]): Promise<{ oid: number; name: string; sizeBytes: number }[]> {
    if (definitions.length === 0) return [];
    await this.#materialize();
    let res: pg.QueryResult | pg.QueryResult[];
    try {
      res = await this.#send(definitions.map((d) => `${DBRS_TAG} ${this.createSql(d)}`).join('; '));
    } catch {
      await this.recover();
      const out: { oid: number; name: string; sizeBytes: number }[] = [];
      for (const d of definitions) out.push(await this.createHypothetical(d));
      return out;
    }
    return (Array.isArray(res) ? res : [res]).map((r) => {
      const row = r.rows[0]!;
      this.#held.add(Number(row['oid']));
      return { oid: Number(row['oid']), name: String(row['name']), sizeBytes: Number(row['size']) };
    });
  }

  async dropHypothetical(oid: number): Promise<void> {
    await this.#run(`SELECT ${this.#fn('hypopg_drop_index')}($1::oid)`, [oid]);
    this.#held.delete(oid);
  }

  async resetHypothetical(): Promise<void> {
    this.#pending = [];
    await this.#send(`SELECT ${this.#fn('hypopg_reset')}()`);
    this.#held.clear();
  }

  /**
   * Hides an existing index from this session's planner until `unhide`. With `pg_index` the session is inside
   * a transaction until then: keep what runs in between to EXPLAINs. The transaction holds the pg_index row
   * and AccessShareLock on the tables it plans, so a concurrent DROP/REINDEX of that index waits for it: the
   * lock_timeout keeps us from queueing behind one, and the idle timeout ends the transaction should the
   * caller stall.
   */
  async hide(indexOid: number): Promise<boolean> {
    const oid = Math.trunc(indexOid);
    if (this.hideMethod === 'hypopg_hide_index') {
      const res = (await this.#run(`SELECT ${this.#fn('hypopg_hide_index')}($1::oid) AS ok`, [oid])) as pg.QueryResult;
      return Boolean(res.rows[0]?.['ok']);
    }
    if (this.hideMethod === 'pg_index') {
      const all = (await this.#run(
        `BEGIN; SET LOCAL lock_timeout = '1s'; SET LOCAL idle_in_transaction_session_timeout = '60s';
         UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = ${oid}::oid AND indisvalid`,
      )) as pg.QueryResult[];
      return all.at(-1)?.rowCount === 1;
    }
    return false;
  }

  async unhide(indexOid: number): Promise<void> {
    if (this.hideMethod === 'hypopg_hide_index') {
      await this.#run(`SELECT ${this.#fn('hypopg_unhide_index')}($1::oid)`, [Math.trunc(indexOid)]);
    } else if (this.hideMethod === 'pg_index') {
      // A PREPARE that succeeded before its EXPLAIN failed survives the rollback; the next one would collide.
      await this.#run('ROLLBACK; DEALLOCATE ALL');
    }
  }

  /** For EXPLAIN ANALYZE of a parameterless SELECT inside a read-only transaction that is rolled back. */
  async explainAnalyzeReadOnly(text: string): Promise<ExplainOutcome> {
    try {
      await this.#run('BEGIN READ ONLY');
      return await this.explain(text, 0, { extra: ', ANALYZE, BUFFERS' });
    } finally {
      await this.#run('ROLLBACK').catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The plan and total cost in an `EXPLAIN (FORMAT JSON)` result. */
export function readPlan(result: pg.QueryResult): { plan: PlanNode; cost: number } {
  const raw = result.rows[0]?.['QUERY PLAN'];
  const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  const plan = doc[0]!.Plan;
  return { plan, cost: plan['Total Cost'] };
}

/**
 * `$n` placeholders with a known value become that literal; the others are renumbered `$1…` in order. The
 * values are literals the advisor built and checked (numbers or quoted strings with a plain cast); the text is
 * pg_stat_statements' normalised form, where every constant is already a placeholder, so a `$n` outside a
 * placeholder can only sit in a comment.
 */
export function bindKnownValues(text: string, values: (string | null)[]): { text: string; paramCount: number } {
  const renumber = new Map<number, number>();
  values.forEach((v, i) => {
    if (v === null) renumber.set(i + 1, renumber.size + 1);
  });
  const out = text.replace(/\$(\d+)(?!\d)/g, (whole, digits: string) => {
    const n = Number(digits);
    const v = values[n - 1];
    if (v === undefined) return whole;
    return v !== null ? `(${v})` : `$${renumber.get(n)}`;
  });
  return { text: out, paramCount: renumber.size };
}
