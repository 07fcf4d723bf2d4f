import { type Database, mapDatabaseError, quoteIdent } from '@voicehive/db-core';
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
}

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
  /** SQL round trips made on this session (reported by benchmarks). */
  roundTrips = 0;
  /** hypopg can hide existing indexes (what-if drop). */
  canHide = false;

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
    if (options.hypopgSchema) {
      // hypopg_hide_index arrived in hypopg 1.4 (Debian 12 ships 1.3.1).
      const res = await client.query(
        "SELECT to_regproc('hypopg_hide_index') IS NOT NULL OR EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'hypopg_hide_index') AS ok",
      );
      session.canHide = Boolean(res.rows[0]?.ok);
    }
    return session;
  }

  get hasHypopg(): boolean {
    return this.#options.hypopgSchema !== undefined;
  }

  async #run(text: string, values?: unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    this.roundTrips++;
    return (await this.#client.query(text, values)) as unknown as pg.QueryResult | pg.QueryResult[];
  }

  async explain(text: string, paramCount: number, extra = ''): Promise<ExplainOutcome> {
    const body = text.trim().replace(/;+\s*$/, '');
    try {
      let result: pg.QueryResult;
      if (this.#options.serverMajor >= 16 && paramCount > 0) {
        result = (await this.#run(`EXPLAIN (GENERIC_PLAN, FORMAT JSON${extra}) ${body}`)) as pg.QueryResult;
      } else if (paramCount === 0) {
        result = (await this.#run(`EXPLAIN (FORMAT JSON${extra}) ${body}`)) as pg.QueryResult;
      } else {
        // One fixed name keeps the PREPARE text stable per statement, so where utility statements are
        // tracked they add one pg_stat_statements entry per statement rather than one per EXPLAIN.
        const args = Array.from({ length: paramCount }, () => 'NULL').join(', ');
        // The newline ends a trailing `--` comment in the statement text before our own statements.
        const all = (await this.#run(
          `PREPARE dbrs_plan AS ${body}\n; EXPLAIN (FORMAT JSON${extra}) EXECUTE dbrs_plan(${args}); DEALLOCATE dbrs_plan`,
        )) as pg.QueryResult[];
        result = all[1]!;
      }
      const raw = result.rows[0]?.['QUERY PLAN'];
      const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
      const plan = doc[0]!.Plan;
      return { ok: true, plan, cost: plan['Total Cost'] };
    } catch (err) {
      // A batch that failed after its PREPARE leaves dbrs_plan behind; the next PREPARE would collide.
      await this.#run('DEALLOCATE ALL').catch(() => {});
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
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
    return { oid: Number(row['oid']), name: String(row['name']), sizeBytes: Number(row['size']) };
  }

  async dropHypothetical(oid: number): Promise<void> {
    await this.#run(`SELECT ${this.#fn('hypopg_drop_index')}($1::oid)`, [oid]);
  }

  async resetHypothetical(): Promise<void> {
    await this.#run(`SELECT ${this.#fn('hypopg_reset')}()`);
  }

  async hide(indexOid: number): Promise<boolean> {
    const res = (await this.#run(`SELECT ${this.#fn('hypopg_hide_index')}($1::oid) AS ok`, [
      indexOid,
    ])) as pg.QueryResult;
    return Boolean(res.rows[0]?.['ok']);
  }

  async unhide(indexOid: number): Promise<void> {
    await this.#run(`SELECT ${this.#fn('hypopg_unhide_index')}($1::oid)`, [indexOid]);
  }

  /** For EXPLAIN ANALYZE of a parameterless SELECT inside a read-only transaction that is rolled back. */
  async explainAnalyzeReadOnly(text: string): Promise<ExplainOutcome> {
    try {
      await this.#run('BEGIN READ ONLY');
      return await this.explain(text, 0, ', ANALYZE, BUFFERS');
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
