import { type AuditLog, type Database, DbrsError, errorMessage, quoteIdent } from '@voicehive/db-core';

export interface ResetQueryStatsOptions {
  database: Database;
  audit: AuditLog;
  actor: string;
  client?: string;
  signal?: AbortSignal;
}

async function statementsSchema(db: Database, signal?: AbortSignal): Promise<string> {
  const { rows } = await db.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname = 'pg_stat_statements'`,
    [],
    { signal },
  );
  const schema = rows[0]?.schema;
  if (!schema)
    throw new DbrsError('EXTENSION_MISSING', 'pg_stat_statements is not installed in this database.', {
      hint: 'CREATE EXTENSION pg_stat_statements (and add it to shared_preload_libraries).',
    });
  return schema;
}

export const RESET_QUERY_STATS_QUESTION =
  'Reset the query statistics (pg_stat_statements) of this database? Calls, times and rows of every statement start again from zero for everyone who reads them; the suite’s stored history keeps what was measured so far. Other databases on the server keep theirs.';

/**
 * pg_stat_statements_reset for this database only (userid 0 = every role,
 * queryid 0 = every statement: pg_stat_statements 1.7+, PostgreSQL 12+),
 * audited as `query_stats.reset`. Needs superuser or an explicit
 * GRANT EXECUTE on the function.
 */
export async function resetQueryStats(options: ResetQueryStatsOptions): Promise<{ reset: true }> {
  const db = options.database;
  const entry = {
    actor: options.actor,
    action: 'query_stats.reset',
    target: db.info.database,
    details: options.client ? { requestedFrom: options.client } : {},
  };
  try {
    const schema = await statementsSchema(db, options.signal);
    await db.query(
      `SELECT ${quoteIdent(schema)}.pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)`,
      [],
      { signal: options.signal },
    );
  } catch (err) {
    await options.audit.record({
      ...entry,
      outcome: 'failure',
      details: { ...entry.details, error: errorMessage(err) },
    });
    if ((err as { code?: string }).code === 'PERMISSION_DENIED')
      throw new DbrsError('PERMISSION_DENIED', 'The suite’s role may not reset pg_stat_statements.', {
        cause: err,
        hint: 'GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO <role>, or leave resets to a superuser.',
      });
    throw err;
  }
  await options.audit.record({ ...entry, outcome: 'success' });
  return { reset: true };
}
