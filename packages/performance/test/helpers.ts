import type { Database } from '@voicehive/db-core';
import pg from 'pg';
import { type AdvisorOptions, DatabasePerformanceOptimizer, type PerformanceReport } from '../src/index.js';
import { detectCapabilities } from '../src/monitor/capabilities.js';
import { mergeByQueryId, readStatements, type StatementStats } from '../src/monitor/statements.js';

/** One statement (or a batch) on a fresh connection. */
export async function exec(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql, values);
  } finally {
    await c.end();
  }
}

/** A whole report from a fresh optimizer with these advisor options. */
export async function report(url: string, advisor: AdvisorOptions = {}): Promise<PerformanceReport> {
  const optimizer = new DatabasePerformanceOptimizer(url, { advisor });
  try {
    return await optimizer.getPerformanceReport();
  } finally {
    await optimizer.close();
  }
}

/**
 * The superuser's pg_stat_statements entries merged per queryid: the report plans as the superuser, whose
 * planning session is untracked; another test's planner role cannot switch tracking off, so its EXPLAINs are
 * left out.
 */
export async function superuserStatements(db: Database): Promise<StatementStats[]> {
  const caps = await detectCapabilities(db);
  const own = await db.query<{ oid: string }>("SELECT 'postgres'::regrole::oid::int8 AS oid");
  const entries = await readStatements(db, caps.pgStatStatements);
  return mergeByQueryId(entries.filter((e) => e.userid === Number(own.rows[0]!.oid)));
}
