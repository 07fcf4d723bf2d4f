import { type Database, REDACTED, redactString } from '@voicehive/db-core';

export interface LiveSession {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  /** active, idle in transaction, idle in transaction (aborted), fastpath function call, … */
  state: string;
  waitEvent: string | null;
  /** Since the current (or, when idle in transaction, the last) statement started. */
  queryAgeMs: number | null;
  /** Since the transaction started. */
  transactionAgeMs: number | null;
  /** Since the state last changed: how long it has been idle in transaction, or waiting. */
  stateAgeMs: number | null;
  /** The statement as PostgreSQL reports it (may be truncated at track_activity_query_size). */
  query: string;
  /** Sessions this one waits for (pg_blocking_pids). */
  blockedBy: number[];
  /** Locks held (granted), counted. */
  locksHeld: number;
}

/**
 * Every non-idle client session of this database, live: what the page's
 * "live queries" section lists and what the status turns into issues. The
 * suite's own sessions (by application_name) are left out.
 */
export async function readLiveSessions(
  db: Database,
  options: { excludeApplication?: string; signal?: AbortSignal } = {},
): Promise<LiveSession[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client, a.state,
            a.wait_event_type || ':' || a.wait_event AS wait_event,
            (EXTRACT(EPOCH FROM clock_timestamp() - a.query_start) * 1000)::float8 AS query_ms,
            (EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start) * 1000)::float8 AS xact_ms,
            (EXTRACT(EPOCH FROM clock_timestamp() - a.state_change) * 1000)::float8 AS state_ms,
            a.query, pg_blocking_pids(a.pid) AS blocked_by,
            (SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid AND l.granted)::int AS locks_held
       FROM pg_stat_activity a
      WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
        AND a.backend_type = 'client backend' AND a.state IS DISTINCT FROM 'idle'
        AND ($1::text IS NULL OR a.application_name IS DISTINCT FROM $1)
      ORDER BY a.xact_start NULLS LAST`,
    [options.excludeApplication ?? null],
    { signal: options.signal },
  );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    pid: Number(r['pid']),
    user: (r['usename'] as string | null) ?? null,
    application: (r['application_name'] as string | null) || null,
    client: (r['client'] as string | null) ?? null,
    state: String(r['state'] ?? 'unknown'),
    waitEvent: (r['wait_event'] as string | null) ?? null,
    queryAgeMs: num(r['query_ms']),
    transactionAgeMs: num(r['xact_ms']),
    stateAgeMs: num(r['state_ms']),
    query: withoutSqlSecrets(String(r['query'] ?? '')),
    blockedBy: ((r['blocked_by'] as number[] | null) ?? []).map(Number),
    locksHeld: Number(r['locks_held'] ?? 0),
  }));
}

/**
 * A live statement is the application's literal text, not a normalised
 * one: besides what redactString() scrubs (URL and conninfo passwords,
 * keys), `PASSWORD '…'` literals (CREATE/ALTER ROLE, dblink/postgres_fdw
 * user mappings with `password '…'`) are replaced before the text reaches
 * a page, an issue or the JSON status.
 */
export function withoutSqlSecrets(query: string): string {
  return redactString(query).replace(/\b(password)(\s+|\s*=\s*)(E?'(?:[^']|'')*')/gi, `$1$2'${REDACTED}'`);
}
