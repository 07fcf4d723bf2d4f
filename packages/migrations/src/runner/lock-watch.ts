import type { Logger } from '@voicehive/db-core';

/** What the migrating backend is waiting for, and who holds it up. */
export interface LockWaitSample {
  migration: string;
  /** The migrating backend. */
  pid: number;
  /** `relation`, `virtualxid` (CREATE INDEX CONCURRENTLY waiting for old snapshots), `transactionid`, … */
  lockType: string;
  /** The relation it waits for, when the lock is on one. */
  relation?: string;
  mode?: string;
  waitedMs: number;
  blocker?: { pid: number; applicationName: string; state: string; query: string; ageMs: number };
  /** CREATE INDEX CONCURRENTLY phase from pg_stat_progress_create_index, when building. */
  indexPhase?: string;
}

/** Anything that can run a query on a connection other than the migrating one (core Database). */
export interface WatchQueryable {
  query<R extends object>(sql: string, params: unknown[]): Promise<{ rows: R[] }>;
}

const SAMPLE_SQL = `
SELECT l.locktype, l.mode, l.relation::regclass::text AS relation,
       (extract(epoch FROM now() - a.state_change) * 1000)::bigint AS waited_ms,
       b.pid AS blocker_pid, b.application_name, b.state AS blocker_state, b.query AS blocker_query,
       (extract(epoch FROM now() - coalesce(b.xact_start, b.query_start, b.backend_start)) * 1000)::bigint AS blocker_age_ms,
       p.phase
  FROM pg_stat_activity a
  JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
  LEFT JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS bp(pid) ON true
  LEFT JOIN pg_stat_activity b ON b.pid = bp.pid
  LEFT JOIN pg_stat_progress_create_index p ON p.pid = a.pid
 WHERE a.pid = $1
 LIMIT 1`;

/** Literals replaced by `?`, whitespace collapsed, capped: enough to recognise a query, no data values. */
export function normalizeQuery(q: string): string {
  return q
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

function toSample(migration: string, pid: number, r: Record<string, unknown>): LockWaitSample {
  return {
    migration,
    pid,
    lockType: String(r.locktype),
    ...(r.relation ? { relation: String(r.relation) } : {}),
    ...(r.mode ? { mode: String(r.mode) } : {}),
    waitedMs: Number(r.waited_ms ?? 0),
    ...(r.blocker_pid
      ? {
          blocker: {
            pid: Number(r.blocker_pid),
            applicationName: String(r.application_name ?? ''),
            state: String(r.blocker_state ?? ''),
            query: normalizeQuery(String(r.blocker_query ?? '')),
            ageMs: Number(r.blocker_age_ms ?? 0),
          },
        }
      : {}),
    ...(r.phase ? { indexPhase: String(r.phase) } : {}),
  };
}

/** One line for logs, errors and the CLI. */
export function describeLockWait(s: LockWaitSample): string {
  const what = s.relation
    ? `${s.mode ?? 'a lock'} on ${s.relation}`
    : s.lockType === 'virtualxid'
      ? 'old snapshots to end'
      : `a ${s.lockType} lock`;
  const who = s.blocker
    ? `blocked by pid ${s.blocker.pid} (${s.blocker.applicationName || 'no application_name'}, ${s.blocker.state}, for ${Math.round(s.blocker.ageMs / 1000)} s: ${s.blocker.query})`
    : 'blocker unknown';
  return `migration ${s.migration} waits ${Math.round(s.waitedMs / 1000)} s for ${what}, ${who}${s.indexPhase ? `; index build phase: ${s.indexPhase}` : ''}`;
}

/**
 * Polls, from another connection, what the migrating backend waits for
 * (pg_locks not granted, pg_blocking_pids, pg_stat_activity of the blocker,
 * pg_stat_progress_create_index) and reports each sample: a lock wait is no
 * longer silent, and a lock timeout can name its blocker. close() stops it.
 */
interface LockWatchOptions {
  db: WatchQueryable;
  pid: number;
  migration: string;
  intervalMs: number;
  logger: Logger;
  onWait?: (s: LockWaitSample) => void;
}

export class LockWatch {
  #timer: NodeJS.Timeout | undefined;
  #last: LockWaitSample | undefined;
  #busy = false;

  // A plain field, not a parameter property: migrations run under Node's strip-only
  // type stripping, which refuses parameter properties.
  readonly opts: LockWatchOptions;

  constructor(opts: LockWatchOptions) {
    this.opts = opts;
    this.#timer = setInterval(() => void this.#sample(), opts.intervalMs);
    this.#timer.unref();
  }

  /** The most recent wait seen (kept after the wait ends, for the error of a lock timeout). */
  get last(): LockWaitSample | undefined {
    return this.#last;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { rows } = await this.opts.db.query<Record<string, unknown>>(SAMPLE_SQL, [this.opts.pid]);
      if (!rows[0]) return;
      const s = toSample(this.opts.migration, this.opts.pid, rows[0]);
      this.#last = s;
      this.opts.logger.warn({ event: 'migration_lock_wait', ...s }, describeLockWait(s));
      this.opts.onWait?.(s);
    } catch {
      // A failed sample (pool busy, server gone) must never fail the migration it watches.
    } finally {
      this.#busy = false;
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
