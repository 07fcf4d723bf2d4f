import { type QueryOptions, quoteIdent } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';
import type { StatementStats } from './statements.js';

export interface StatementSnapshot {
  takenAt: Date;
  entries: Map<string, StatementStats>;
}

/** What happened to one statement between two snapshots. */
export interface StatementDelta {
  queryid: string;
  userid: number;
  query: string;
  calls: number;
  totalExecMs: number;
  meanExecMs: number;
  rows: number;
  sharedBlksRead: number;
  tempBlksWritten: number;
}

const entryKey = (s: StatementStats): string => `${s.userid}:${s.queryid}:${s.toplevel ? 1 : 0}`;

/**
 * Keeps recent pg_stat_statements snapshots in memory and diffs them, so
 * history exists without calling pg_stat_statements_reset() (which would
 * wipe everyone else's statistics). An entry whose counters went backwards
 * was evicted and re-entered (or the stats were reset): its current values
 * are then the whole delta. From 1.11 (PG17) a changed stats_since says so
 * even when the counters have grown past their old values.
 */
export class SnapshotStore {
  readonly #retention: number;
  readonly #snapshots: StatementSnapshot[] = [];

  constructor(retention: number) {
    this.#retention = Math.max(2, retention);
  }

  add(entries: StatementStats[], takenAt = new Date()): StatementSnapshot {
    const snapshot = { takenAt, entries: new Map(entries.map((e) => [entryKey(e), e])) };
    this.#snapshots.push(snapshot);
    while (this.#snapshots.length > this.#retention) this.#snapshots.shift();
    return snapshot;
  }

  get size(): number {
    return this.#snapshots.length;
  }

  latest(): StatementSnapshot | undefined {
    return this.#snapshots.at(-1);
  }

  /** Deltas between the last two snapshots (empty until there are two). */
  latestDeltas(): StatementDelta[] {
    const n = this.#snapshots.length;
    return n < 2 ? [] : diffStatementSnapshots(this.#snapshots[n - 2]!, this.#snapshots[n - 1]!);
  }
}

export function diffStatementSnapshots(before: StatementSnapshot, after: StatementSnapshot): StatementDelta[] {
  const out: StatementDelta[] = [];
  for (const [key, cur] of after.entries) {
    const prev = before.entries.get(key);
    const wentBack =
      prev !== undefined &&
      (cur.calls < prev.calls || (cur.statsSince !== undefined && cur.statsSince !== prev.statsSince));
    const base = prev && !wentBack ? prev : undefined;
    const calls = cur.calls - (base?.calls ?? 0);
    if (calls <= 0) continue;
    const totalExecMs = cur.totalExecMs - (base?.totalExecMs ?? 0);
    out.push({
      queryid: cur.queryid,
      userid: cur.userid,
      query: cur.query,
      calls,
      totalExecMs,
      meanExecMs: totalExecMs / calls,
      rows: cur.rows - (base?.rows ?? 0),
      sharedBlksRead: cur.sharedBlksRead - (base?.sharedBlksRead ?? 0),
      tempBlksWritten: cur.tempBlksWritten - (base?.tempBlksWritten ?? 0),
    });
  }
  return out;
}

/** Appends deltas to a history table (created on first use); one multi-row INSERT per snapshot. */
export async function persistDeltas(
  db: SqlRunner,
  target: { schema: string; table: string },
  takenAt: Date,
  deltas: StatementDelta[],
  options: QueryOptions = {},
): Promise<void> {
  const name = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${name} (
       taken_at timestamptz NOT NULL, queryid text NOT NULL, userid oid NOT NULL, calls bigint NOT NULL,
       total_exec_ms float8 NOT NULL, mean_exec_ms float8 NOT NULL, rows bigint NOT NULL,
       shared_blks_read bigint NOT NULL, temp_blks_written bigint NOT NULL)`,
    [],
    options,
  );
  if (deltas.length === 0) return;
  const cols = [
    'queryid',
    'userid',
    'calls',
    'totalExecMs',
    'meanExecMs',
    'rows',
    'sharedBlksRead',
    'tempBlksWritten',
  ] as const;
  await db.query(
    `INSERT INTO ${name} (taken_at, queryid, userid, calls, total_exec_ms, mean_exec_ms, rows, shared_blks_read, temp_blks_written)
     SELECT $1, * FROM unnest($2::text[], $3::oid[], $4::int8[], $5::float8[], $6::float8[], $7::int8[], $8::int8[], $9::int8[])`,
    [takenAt, ...cols.map((c) => deltas.map((d) => d[c]))],
    options,
  );
}
