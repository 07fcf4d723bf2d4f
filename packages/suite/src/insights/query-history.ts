import { type Database, DbrsError, quoteIdent } from '@voicehive/db-core';

const DAY = 86_400_000;

export interface QueryHistoryPoint {
  /** Snapshot time (ISO). */
  t: string;
  /** Calls since the previous snapshot. */
  calls: number;
  /** Mean execution time of those calls, ms. */
  meanMs: number;
}

export interface QueryDetail {
  queryHash: string;
  /** The whole normalised statement, as pg_stat_statements keeps it (null when it has been evicted since). */
  query: string | null;
  calls: number | null;
  rows: number | null;
  meanMs: number | null;
  totalMs: number | null;
  /** From the stored snapshot deltas, oldest first. */
  history: QueryHistoryPoint[];
  historyDays: number;
}

/** A pg_stat_statements queryid as text: a signed 64-bit integer. */
export function parseQueryId(value: string): string {
  if (!/^-?\d{1,20}$/.test(value))
    throw new DbrsError('INVALID_ARGUMENT', 'That is not a query id.', {
      hint: 'Open a statement from the Queries table.',
    });
  return value;
}

type Table = { schema: string; table: string };
const qualified = (t: Table) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;

/**
 * One statement for its own page: the full normalised text and current
 * counters from pg_stat_statements, and its calls and mean time per
 * snapshot from the stored history (the performance.snapshot task writes
 * it). Undefined when neither knows the id.
 */
export async function readQueryDetail(
  db: Database,
  options: { queryHash: string; historyTable: Table; days?: number; signal?: AbortSignal },
): Promise<QueryDetail | undefined> {
  const id = parseQueryId(options.queryHash);
  const days = options.days ?? 7;
  const q = { signal: options.signal };
  const ext = await db.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'pg_stat_statements'`,
    [],
    q,
  );
  const schema = ext.rows[0]?.schema;
  const current = schema
    ? (
        await db.query<Record<string, string | null>>(
          `SELECT min(query) AS query, sum(calls)::float8 AS calls, sum(rows)::float8 AS rows,
                  sum(total_exec_time)::float8 AS total_ms
             FROM ${quoteIdent(schema)}.pg_stat_statements
            WHERE queryid = $1::bigint AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           HAVING count(*) > 0`,
          [id],
          q,
        )
      ).rows[0]
    : undefined;
  const present = await db.query<{ ok: boolean }>(
    'SELECT to_regclass($1) IS NOT NULL AS ok',
    [qualified(options.historyTable)],
    q,
  );
  const history = present.rows[0]?.ok
    ? (
        await db.query<{ t: Date; calls: string; total_ms: number }>(
          `SELECT taken_at AS t, sum(calls)::int8 AS calls, sum(total_exec_ms)::float8 AS total_ms
             FROM ${qualified(options.historyTable)}
            WHERE queryid = $1 AND taken_at >= $2 GROUP BY taken_at ORDER BY taken_at`,
          [id, new Date(Date.now() - days * DAY)],
          q,
        )
      ).rows.map((r) => ({
        t: new Date(r.t).toISOString(),
        calls: Number(r.calls),
        meanMs: Number(r.calls) > 0 ? r.total_ms / Number(r.calls) : 0,
      }))
    : [];
  if (!current && history.length === 0) return undefined;
  const num = (v: string | null | undefined) => (v === null || v === undefined ? null : Number(v));
  const calls = num(current?.['calls']);
  const totalMs = num(current?.['total_ms']);
  return {
    queryHash: id,
    query: current?.['query'] ?? null,
    calls,
    rows: num(current?.['rows']),
    totalMs,
    meanMs: calls && totalMs !== null ? totalMs / calls : null,
    history,
    historyDays: days,
  };
}

/** Deletes history older than `days` (default 30); returns the rows removed. Nothing to do before the table exists. */
export async function pruneStatementHistory(
  db: Database,
  table: Table,
  signal?: AbortSignal,
  days = 30,
): Promise<number> {
  const present = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [qualified(table)], {
    signal,
  });
  if (!present.rows[0]?.ok) return 0;
  const res = await db.query(
    `DELETE FROM ${qualified(table)} WHERE taken_at < $1`,
    [new Date(Date.now() - days * DAY)],
    {
      signal,
    },
  );
  return res.rowCount ?? 0;
}
