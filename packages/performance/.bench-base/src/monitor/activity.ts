import type { QueryOptions } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';
import { normalizeSql } from '../sql/parser.js';

export interface SessionInfo {
  pid: number;
  user: string | null;
  applicationName: string | null;
  state: string | null;
  waitEvent: string | null;
  /** Since the current statement started, ms. */
  queryMs: number | null;
  /** Since the transaction started, ms. */
  transactionMs: number | null;
  /** Literals replaced by $n. */
  query: string;
  blockedBy: number[];
}

export interface ActivityReport {
  longRunning: SessionInfo[];
  idleInTransaction: SessionInfo[];
  /** Sessions waiting on a lock, with the pids holding it (pg_blocking_pids). */
  blocked: SessionInfo[];
}

export async function readActivity(
  db: SqlRunner,
  thresholds: { longRunningMs: number; idleInTransactionMs: number },
  options: QueryOptions = {},
): Promise<ActivityReport> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT pid, usename, application_name, state, wait_event_type || ':' || wait_event AS wait_event,
            (EXTRACT(EPOCH FROM now() - query_start) * 1000)::float8 AS query_ms,
            (EXTRACT(EPOCH FROM now() - xact_start) * 1000)::float8 AS xact_ms,
            (EXTRACT(EPOCH FROM now() - state_change) * 1000)::float8 AS state_ms,
            query, pg_blocking_pids(pid) AS blocked_by
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    [],
    options,
  );
  const report: ActivityReport = { longRunning: [], idleInTransaction: [], blocked: [] };
  for (const r of rows) {
    const text = String(r['query'] ?? '');
    const info: SessionInfo = {
      pid: Number(r['pid']),
      user: (r['usename'] as string | null) ?? null,
      applicationName: (r['application_name'] as string | null) || null,
      state: (r['state'] as string | null) ?? null,
      waitEvent: (r['wait_event'] as string | null) ?? null,
      queryMs: r['query_ms'] === null ? null : Number(r['query_ms']),
      transactionMs: r['xact_ms'] === null ? null : Number(r['xact_ms']),
      // Without pg_read_all_stats other roles' text reads "<insufficient privilege>": not SQL, keep as is.
      query: text.startsWith('<') ? text : normalizeSql(text),
      blockedBy: ((r['blocked_by'] as number[] | null) ?? []).map(Number),
    };
    if (info.blockedBy.length > 0) report.blocked.push(info);
    if (info.state === 'active' && (info.queryMs ?? 0) >= thresholds.longRunningMs) report.longRunning.push(info);
    if (info.state?.startsWith('idle in transaction') && Number(r['state_ms'] ?? 0) >= thresholds.idleInTransactionMs) {
      report.idleInTransaction.push(info);
    }
  }
  return report;
}
