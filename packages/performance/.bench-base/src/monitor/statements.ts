import { isSuiteStatement, type QueryOptions, quoteIdent } from '@voicehive/db-core';
import type { SqlRunner } from '../catalog/catalog.js';
import { extensionMinor } from './capabilities.js';

/** One pg_stat_statements entry, with version differences smoothed over. */
export interface StatementStats {
  /** queryid as text (it is a signed 64-bit number): the query hash used everywhere. */
  queryid: string;
  userid: number;
  toplevel: boolean;
  /** Normalised text ($n placeholders) as pg_stat_statements stores it. */
  query: string;
  calls: number;
  totalExecMs: number;
  totalPlanMs: number;
  meanExecMs: number;
  maxExecMs: number;
  rows: number;
  sharedBlksHit: number;
  sharedBlksRead: number;
  tempBlksWritten: number;
  blkReadTimeMs: number;
  blkWriteTimeMs: number;
  /** When this entry's counters started (1.11+): a change means it was reset, even if calls grew past the old count. */
  statsSince?: string;
}

/**
 * The SELECT list for the installed extension version:
 * 1.8 (PG13) renamed total_time → total_exec_time and added planning time;
 * 1.9 added toplevel; 1.10 temp block times; 1.11 (PG17) renamed
 * blk_read_time/blk_write_time → shared_blk_*_time and added local_*.
 */
export function statementColumns(extVersion: string | undefined): string {
  const minor = extensionMinor(extVersion);
  const time = (c: string) => (minor >= 8 ? `${c}_exec_time` : `${c}_time`);
  const cols = [
    'queryid::text AS queryid',
    'userid::int8 AS userid',
    minor >= 9 ? 'toplevel' : 'true AS toplevel',
    'query',
    'calls',
    `${time('total')} AS total_exec_ms`,
    minor >= 8 ? 'total_plan_time AS total_plan_ms' : '0::float8 AS total_plan_ms',
    `${time('mean')} AS mean_exec_ms`,
    `${time('max')} AS max_exec_ms`,
    'rows',
    'shared_blks_hit',
    'shared_blks_read',
    'temp_blks_written',
  ];
  if (minor >= 11) {
    cols.push('(shared_blk_read_time + local_blk_read_time + temp_blk_read_time) AS blk_read_ms');
    cols.push('(shared_blk_write_time + local_blk_write_time + temp_blk_write_time) AS blk_write_ms');
    cols.push('stats_since::text AS stats_since');
  } else if (minor >= 10) {
    cols.push(
      '(blk_read_time + temp_blk_read_time) AS blk_read_ms',
      '(blk_write_time + temp_blk_write_time) AS blk_write_ms',
    );
  } else {
    cols.push('blk_read_time AS blk_read_ms', 'blk_write_time AS blk_write_ms');
  }
  return cols.join(', ');
}

/**
 * pg_stat_statements entries of this database. The suite's own statements (tagged `/* dbrs *\/`, and pg_dump's
 * `COPY … TO stdout`) are left out unless `includeSuiteStatements`: they are not the application's workload.
 */
export async function readStatements(
  db: SqlRunner,
  ext: { version?: string; schema?: string },
  options: QueryOptions & { includeSuiteStatements?: boolean } = {},
): Promise<StatementStats[]> {
  const view = `${quoteIdent(ext.schema ?? 'public')}.pg_stat_statements`;
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${statementColumns(ext.version)} FROM ${view}
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL`,
    [],
    options.signal ? { signal: options.signal } : {},
  );
  const kept = options.includeSuiteStatements ? rows : rows.filter((r) => !isSuiteStatement(String(r['query'] ?? '')));
  return kept.map((r) => ({
    queryid: String(r['queryid']),
    userid: Number(r['userid']),
    toplevel: Boolean(r['toplevel']),
    query: String(r['query'] ?? ''),
    calls: Number(r['calls']),
    totalExecMs: Number(r['total_exec_ms']),
    totalPlanMs: Number(r['total_plan_ms']),
    meanExecMs: Number(r['mean_exec_ms']),
    maxExecMs: Number(r['max_exec_ms']),
    rows: Number(r['rows']),
    sharedBlksHit: Number(r['shared_blks_hit']),
    sharedBlksRead: Number(r['shared_blks_read']),
    tempBlksWritten: Number(r['temp_blks_written']),
    blkReadTimeMs: Number(r['blk_read_ms']),
    blkWriteTimeMs: Number(r['blk_write_ms']),
    ...(r['stats_since'] ? { statsSince: String(r['stats_since']) } : {}),
  }));
}

/** Several users running the same statement make several entries; the advisor and report want one per queryid. */
export function mergeByQueryId(entries: StatementStats[]): StatementStats[] {
  const out = new Map<string, StatementStats>();
  for (const e of entries) {
    const prev = out.get(e.queryid);
    if (!prev) {
      out.set(e.queryid, { ...e });
      continue;
    }
    const calls = prev.calls + e.calls;
    const totalExecMs = prev.totalExecMs + e.totalExecMs;
    out.set(e.queryid, {
      ...prev,
      // A statement run under EXPLAIN (or from a function) is a nested entry with the same queryid
      // but the outer text: keep the top-level text, which is the statement itself.
      ...(e.toplevel && !prev.toplevel ? { query: e.query, toplevel: true, userid: e.userid } : {}),
      calls,
      totalExecMs,
      totalPlanMs: prev.totalPlanMs + e.totalPlanMs,
      meanExecMs: calls > 0 ? totalExecMs / calls : 0,
      maxExecMs: Math.max(prev.maxExecMs, e.maxExecMs),
      rows: prev.rows + e.rows,
      sharedBlksHit: prev.sharedBlksHit + e.sharedBlksHit,
      sharedBlksRead: prev.sharedBlksRead + e.sharedBlksRead,
      tempBlksWritten: prev.tempBlksWritten + e.tempBlksWritten,
      blkReadTimeMs: prev.blkReadTimeMs + e.blkReadTimeMs,
      blkWriteTimeMs: prev.blkWriteTimeMs + e.blkWriteTimeMs,
    });
  }
  return [...out.values()];
}
