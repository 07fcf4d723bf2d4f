import {
  type AuditLog,
  type Database,
  DbrsError,
  errorMessage,
  mapDatabaseError,
  redactString,
  throwIfAborted,
} from '@voicehive/db-core';

/** Longest statement the explain box accepts, in characters. */
export const EXPLAIN_MAX_CHARS = 50_000;

export interface ExplainRequest {
  sql: string;
  /** EXPLAIN ANALYZE (runs the statement); refused unless the configuration allows it. */
  analyze?: boolean;
  actor: string;
  client?: string;
  signal?: AbortSignal;
}

export interface ExplainResult {
  /** EXPLAIN's text output, one line per row. */
  plan: string;
  analyzed: boolean;
  /** Planned as a generic plan because the statement has $n parameters (PostgreSQL 16+). */
  generic: boolean;
}

export interface ExplainContext {
  database: Database;
  audit: AuditLog;
  /** `performance.allowExplainAnalyze`. */
  allowAnalyze: boolean;
  /** statement_timeout for the EXPLAIN, ms. */
  timeoutMs: number;
}

/** The pasted text as one statement: trailing semicolons dropped, an EXPLAIN prefix refused. */
function statementOf(sql: unknown): string {
  const text = typeof sql === 'string' ? sql.trim().replace(/;+\s*$/, '') : '';
  if (!text)
    throw new DbrsError('INVALID_ARGUMENT', 'Paste a statement to explain.', {
      hint: 'For example a query from the Queries table.',
    });
  if (text.length > EXPLAIN_MAX_CHARS)
    throw new DbrsError('INVALID_ARGUMENT', `The statement is longer than ${EXPLAIN_MAX_CHARS} characters.`);
  if (/^explain\b/i.test(text))
    throw new DbrsError('INVALID_ARGUMENT', 'Paste the statement without EXPLAIN; the box adds it.', {
      hint: 'Tick "ANALYZE" to run it, when the configuration allows that.',
    });
  return text;
}

/**
 * EXPLAIN of one pasted statement, for the page's explain box. Bounds:
 * - ANALYZE only when `performance.allowExplainAnalyze` is true;
 * - one statement: sent with the extended protocol, which PostgreSQL refuses
 *   for more than one command, so `SELECT 1; DROP TABLE t` never runs the DROP;
 * - a READ ONLY transaction that is always rolled back, so even ANALYZE of an
 *   INSERT/UPDATE/DELETE fails instead of writing;
 * - `SET LOCAL statement_timeout` and `lock_timeout`;
 * - statements with $n parameters (pasted from pg_stat_statements) get a
 *   GENERIC_PLAN on PostgreSQL 16+.
 * Audited as `query.explain` (the statement's length, never its text: it may
 * hold values). Errors are the server's message, redacted, with the position.
 */
export async function explainStatement(ctx: ExplainContext, req: ExplainRequest): Promise<ExplainResult> {
  const analyze = req.analyze === true;
  const audit = (outcome: 'success' | 'failure', extra: Record<string, unknown> = {}) =>
    ctx.audit.record({
      actor: req.actor,
      action: 'query.explain',
      target: ctx.database.info.database,
      outcome,
      details: {
        analyze,
        chars: typeof req.sql === 'string' ? req.sql.length : 0,
        ...extra,
        ...(req.client ? { requestedFrom: req.client } : {}),
      },
    });
  if (analyze && !ctx.allowAnalyze)
    throw new DbrsError('INVALID_ARGUMENT', 'EXPLAIN ANALYZE is switched off: it runs the statement.', {
      hint: 'Set performance.allowExplainAnalyze: true to allow it (it still runs read-only, within the statement timeout).',
    });
  const statement = statementOf(req.sql);
  throwIfAborted(req.signal, 'explain');
  const timeout = Math.max(1, Math.floor(ctx.timeoutMs));
  /** What precedes the statement in the text sent: the server's error positions count it. */
  let prefix = 0;
  try {
    const result = await ctx.database.withClient(
      async (client) => {
        await client.query('BEGIN READ ONLY');
        try {
          await client.query(
            `SET LOCAL statement_timeout = ${timeout}; SET LOCAL lock_timeout = ${Math.min(timeout, 2_000)}`,
          );
          const major = Number(
            (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v,
          );
          const generic = !analyze && major >= 160_000 && /\$\d/.test(statement);
          const head = `EXPLAIN (${analyze ? 'ANALYZE, BUFFERS' : generic ? 'GENERIC_PLAN' : 'COSTS'}) `;
          prefix = head.length;
          const res = await client.query<{ 'QUERY PLAN': string }>({
            text: head + statement,
            queryMode: 'extended',
          } as unknown as string);
          return { plan: res.rows.map((r) => r['QUERY PLAN']).join('\n'), analyzed: analyze, generic };
        } finally {
          await client.query('ROLLBACK').catch(() => {});
        }
      },
      { signal: req.signal },
    );
    await audit('success');
    return result;
  } catch (err) {
    const refused = explainError(err, { statement, prefix, timeoutMs: timeout, db: ctx.database });
    // The code only: the server's message may quote the statement's values.
    await audit('failure', {
      error: refused.code,
      ...((err as { code?: string })?.code ? { sqlstate: (err as { code?: string }).code } : {}),
    });
    throw refused;
  }
}

/** The server's complaint in words a person can act on, with where in the statement it points. */
function explainError(
  err: unknown,
  { statement, prefix, timeoutMs, db }: { statement: string; prefix: number; timeoutMs: number; db: Database },
): DbrsError {
  const e = err as { code?: string; message?: string; position?: string };
  if (e?.code === '57014')
    return new DbrsError('TIMEOUT', `The statement ran longer than ${timeoutMs} ms and was cancelled.`, {
      cause: err,
      hint: 'Explain without ANALYZE, or narrow the statement.',
    });
  if (e?.code === '25006')
    return new DbrsError('INVALID_ARGUMENT', `Refused: ${redactString(e.message ?? '')}.`, {
      cause: err,
      hint: 'EXPLAIN ANALYZE runs in a read-only transaction: writing statements cannot be analysed here.',
    });
  if (e?.code === '42601' && /multiple commands/i.test(e.message ?? ''))
    return new DbrsError('INVALID_ARGUMENT', 'Paste one statement at a time.', { cause: err });
  if (e?.code === '42P02' || (e?.code === '08P01' && /bind message supplies/.test(e.message ?? '')))
    return new DbrsError('INVALID_ARGUMENT', 'The statement has $n parameters and no values for them.', {
      cause: err,
      hint: 'Replace $1, $2, … with values (PostgreSQL 16+ plans them as a generic plan when ANALYZE is off).',
    });
  if (e?.code && /^[0-9A-Z]{5}$/.test(e.code) && !e.code.startsWith('08') && !e.code.startsWith('57')) {
    const pos = Number(e.position) - prefix;
    // The excerpt is left out when the statement holds anything secret-looking: a cut could keep half of it.
    const near =
      Number.isInteger(pos) && pos > 0 && redactString(statement) === statement
        ? ` at character ${pos}: “${statement.slice(Math.max(0, pos - 1), pos + 29).replace(/\s+/g, ' ')}”`
        : Number.isInteger(pos) && pos > 0
          ? ` at character ${pos}`
          : '';
    return new DbrsError(
      'INVALID_ARGUMENT',
      `PostgreSQL could not plan the statement${near}: ${redactString(e.message ?? '')}`,
      {
        cause: err,
        details: { sqlstate: e.code },
      },
    );
  }
  const mapped = mapDatabaseError(err, db.info, 'explain');
  return mapped.code === 'QUERY_FAILED'
    ? new DbrsError('QUERY_FAILED', redactString(errorMessage(mapped)), { cause: err })
    : mapped;
}
