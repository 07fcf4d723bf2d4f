import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@voicehive/db-core';
import pg from 'pg';
import { LOCK_ORDER, type LockMode } from '../lint/ast.js';
import type { StatementTracer } from '../runner/apply.js';

export interface TracedLock {
  relation: string;
  mode: string;
  /** The relation did not exist before the migration (its lock blocks nobody). */
  newRelation: boolean;
}

export interface TracedStatement {
  index: number;
  sql: string;
  durationMs: number;
  /** Strongest lock per relation taken by this statement. */
  locks: TracedLock[];
  /** Tables (or matviews) whose storage was rewritten (relfilenode changed). */
  rewrites: string[];
  /** Indexes rebuilt (relfilenode changed). */
  reindexed: string[];
  /** How the locks were seen: in the migrating transaction, or sampled from a second connection. */
  lockSource: 'transaction' | 'sampler';
  error?: string;
}

const LOCKS_SQL = `SELECT coalesce(n.nspname || '.' || c.relname, 'oid:' || l.relation::text) AS rel, l.mode
     FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;

const FILENODES_SQL = `SELECT c.oid::text AS oid, n.nspname || '.' || c.relname AS name, c.relkind, c.relfilenode::text AS node
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;

function strongest(rows: Array<{ rel: string; mode: string }>): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of rows) {
    const cur = m.get(r.rel);
    if (!cur || LOCK_ORDER.indexOf(r.mode as LockMode) > LOCK_ORDER.indexOf(cur as LockMode)) m.set(r.rel, r.mode);
  }
  return m;
}

/**
 * Limitation (shared with eugene's trace): a lock weaker than one the
 * transaction already holds on the same table is not recorded again by
 * PostgreSQL, so it does not show up for later statements.
 *
 * Traces each statement of a migration on the scratch database: locks from
 * pg_locks of the migrating backend inside its transaction (exact: locks are
 * held until commit), or from a sampler on a second connection for
 * no-transaction statements (whose locks end with the statement); rewrites
 * from pg_class.relfilenode before and after (the eugene approach).
 */
export class LockTracer implements StatementTracer {
  readonly statements: TracedStatement[] = [];
  readonly #samplerConfig: pg.ClientConfig;
  readonly #intervalMs: number;
  readonly #existing: Set<string>;
  #locksBefore = new Set<string>();
  #nodesBefore = new Map<string, { name: string; kind: string; node: string }>();
  #sampler: { client: pg.Client; stop: () => Promise<Map<string, string>> } | undefined;

  constructor(options: { samplerConfig: pg.ClientConfig; intervalMs?: number; existingRelations: Set<string> }) {
    this.#samplerConfig = options.samplerConfig;
    this.#intervalMs = options.intervalMs ?? 10;
    this.#existing = options.existingRelations;
  }

  async before(client: pg.ClientBase, info: { transactional: boolean }): Promise<void> {
    const pid = (client as unknown as { processID: number }).processID;
    this.#nodesBefore = await filenodes(client);
    if (info.transactional)
      this.#locksBefore = new Set(
        (await client.query<{ rel: string; mode: string }>(LOCKS_SQL, [pid])).rows.map((r) => `${r.rel}|${r.mode}`),
      );
    else this.#sampler = await this.#startSampler(pid);
  }

  async after(
    client: pg.ClientBase,
    info: { index: number; sql: string; transactional: boolean; durationMs: number; error?: unknown },
  ): Promise<void> {
    const pid = (client as unknown as { processID: number }).processID;
    const rec: TracedStatement = {
      index: info.index,
      sql: info.sql,
      durationMs: info.durationMs,
      locks: [],
      rewrites: [],
      reindexed: [],
      lockSource: info.transactional ? 'transaction' : 'sampler',
      ...(info.error ? { error: errorMessage(info.error) } : {}),
    };
    this.statements.push(rec);
    let locks: Map<string, string>;
    if (info.transactional) {
      if (info.error) return;
      // Every (relation, mode) pair not held before: a weaker mode on an already-locked table still shows what this statement needs.
      const rows = (await client.query<{ rel: string; mode: string }>(LOCKS_SQL, [pid])).rows;
      // 'oid:' rows are transient relations (the new heap of a rewrite) already gone from pg_class.
      locks = strongest(rows.filter((r) => !this.#locksBefore.has(`${r.rel}|${r.mode}`) && !r.rel.startsWith('oid:')));
    } else {
      locks = (await this.#sampler?.stop()) ?? new Map();
      this.#sampler = undefined;
      if (info.error) return;
    }
    rec.locks = [...locks].map(([relation, mode]) => ({ relation, mode, newRelation: !this.#existing.has(relation) }));
    const after = await filenodes(client);
    for (const [oid, a] of after) {
      const b = this.#nodesBefore.get(oid);
      if (b && b.node !== a.node) (a.kind === 'i' ? rec.reindexed : rec.rewrites).push(a.name);
    }
  }

  async #startSampler(pid: number): Promise<{ client: pg.Client; stop: () => Promise<Map<string, string>> }> {
    const client = new pg.Client({ ...this.#samplerConfig, application_name: 'voicehive-dbrs-lock-sampler' });
    // Failures surface through the awaited queries; an unlistened 'error' event would crash the process.
    client.on('error', () => {});
    await client.connect();
    const seen: Array<{ rel: string; mode: string }> = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          seen.push(...(await client.query(LOCKS_SQL, [pid])).rows);
        } catch {
          break;
        }
        await sleep(this.#intervalMs);
      }
    })();
    return {
      client,
      stop: async () => {
        running = false;
        await loop;
        await client.end().catch(() => {});
        return strongest(seen);
      },
    };
  }
}

async function filenodes(client: pg.ClientBase): Promise<Map<string, { name: string; kind: string; node: string }>> {
  const res = await client.query<{ oid: string; name: string; relkind: string; node: string }>(FILENODES_SQL);
  return new Map(res.rows.map((r) => [r.oid, { name: r.name, kind: r.relkind, node: r.node }]));
}
