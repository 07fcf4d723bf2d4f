import { type AuditLog, type Database, DbrsError, errorMessage } from '@voicehive/db-core';
import { formatAge } from '../format/units.js';

export type SessionSignal = 'cancel' | 'terminate';

/** What the audit entry and the confirmation say about the session; never its query text (it may hold values). */
export interface SessionTarget {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  state: string | null;
  /** Since the current statement (or, when idle, the last one) started. */
  queryAgeMs: number | null;
}

export interface SignalSessionOptions {
  database: Database;
  audit: AuditLog;
  /** The pid as posted (a string from the form); validated here. */
  pid: unknown;
  mode: SessionSignal;
  actor: string;
  client?: string;
  /** The suite's own application_name: its sessions are not the operator's to stop from the page. */
  ownApplication?: string;
  signal?: AbortSignal;
}

const MAX_PID = 2 ** 31 - 1;

/** A pid from a form: digits only, within int4. */
export function parsePid(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const pid = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(pid) || pid <= 0 || pid > MAX_PID)
    throw new DbrsError('INVALID_ARGUMENT', `"${String(value).slice(0, 20)}" is not a process id.`, {
      hint: 'Use the PID column of the live queries table.',
    });
  return pid;
}

/**
 * The client session `pid` of this database, or an error saying why it may
 * not be signalled from here: gone, another database's, a background
 * process, the suite's own (its pool, lock and advisor sessions).
 */
export async function findSession(
  db: Database,
  pid: number,
  options: { ownApplication?: string; signal?: AbortSignal } = {},
): Promise<SessionTarget> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client, a.state, a.backend_type,
            a.datname = current_database() AS same_database, a.pid = pg_backend_pid() AS own,
            (EXTRACT(EPOCH FROM clock_timestamp() - a.query_start) * 1000)::float8 AS query_ms
       FROM pg_stat_activity a WHERE a.pid = $1`,
    [pid],
    { signal: options.signal },
  );
  const r = rows[0];
  if (!r) throw new DbrsError('NOT_FOUND', `No session with pid ${pid}: it has ended already.`);
  const application = (r['application_name'] as string | null) || null;
  if (r['backend_type'] !== 'client backend' || r['same_database'] !== true)
    throw new DbrsError('INVALID_ARGUMENT', `pid ${pid} is not a client session of this database.`, {
      hint: 'Only sessions listed under Live queries can be cancelled or terminated here.',
    });
  if (r['own'] === true || (options.ownApplication !== undefined && application === options.ownApplication))
    throw new DbrsError('INVALID_ARGUMENT', `pid ${pid} is one of this service's own sessions.`, {
      hint: 'Stop the suite’s work with its own controls (shutdown, abort) instead.',
    });
  return {
    pid,
    user: (r['usename'] as string | null) ?? null,
    application,
    client: (r['client'] as string | null) ?? null,
    state: (r['state'] as string | null) ?? null,
    queryAgeMs: r['query_ms'] === null ? null : Number(r['query_ms']),
  };
}

/** One line naming the session for a person: pid, user, application, state and age. */
export function describeSession(s: SessionTarget): string {
  const who = [
    s.user && `user ${s.user}`,
    s.application && `application ${s.application}`,
    s.client && `from ${s.client}`,
  ]
    .filter(Boolean)
    .join(', ');
  const age = s.queryAgeMs === null ? '' : ` for ${formatAge(s.queryAgeMs)}`;
  return `session ${s.pid}${who ? ` (${who})` : ''}, ${s.state ?? 'no state'}${age}`;
}

export async function confirmSessionSignal(options: Omit<SignalSessionOptions, 'audit' | 'actor'>): Promise<string> {
  const target = await findSession(options.database, parsePid(options.pid), options);
  return options.mode === 'cancel'
    ? `Cancel the running statement of ${describeSession(target)}? The session stays connected; the statement fails with "canceling statement due to user request".`
    : `Terminate ${describeSession(target)}? Its connection is closed and any open transaction is rolled back.`;
}

/**
 * pg_cancel_backend / pg_terminate_backend on one session, audited
 * (`session.cancel` / `session.terminate`) whether it worked or not.
 * PostgreSQL answers false when the role may not signal that backend
 * (neither superuser, the same role, nor a member of pg_signal_backend).
 */
export async function signalSession(options: SignalSessionOptions): Promise<{ pid: number; mode: SessionSignal }> {
  const pid = parsePid(options.pid);
  const target = await findSession(options.database, pid, options);
  const fn = options.mode === 'cancel' ? 'pg_cancel_backend' : 'pg_terminate_backend';
  const entry = {
    actor: options.actor,
    action: `session.${options.mode}`,
    target: `pid ${pid}`,
    details: { ...target, ...(options.client ? { requestedFrom: options.client } : {}) },
  };
  let done: boolean;
  try {
    const { rows } = await options.database.query<{ done: boolean }>(`SELECT ${fn}($1) AS done`, [pid], {
      signal: options.signal,
    });
    done = rows[0]?.done === true;
  } catch (err) {
    await options.audit.record({
      ...entry,
      outcome: 'failure',
      details: { ...entry.details, error: errorMessage(err) },
    });
    throw err;
  }
  if (!done) {
    await options.audit.record({ ...entry, outcome: 'failure', details: { ...entry.details, refused: true } });
    throw new DbrsError('PERMISSION_DENIED', `PostgreSQL refused to ${options.mode} pid ${pid}.`, {
      hint: 'Grant the suite’s role pg_signal_backend (GRANT pg_signal_backend TO <role>), or the session ended just now.',
    });
  }
  await options.audit.record({ ...entry, outcome: 'success' });
  return { pid, mode: options.mode };
}
