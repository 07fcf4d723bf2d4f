import { setTimeout as sleep } from 'node:timers/promises';
import { abortError, DbrsError, errorMessage, type Logger } from '@voicehive/db-core';
import type pg from 'pg';
import { loadParser, parseSqlSync, SqlSyntaxError } from '../lint/parse.js';
import type { SchemaSnapshot } from '../rehearsal/schema-snapshot.js';
import type { MigrationSource } from '../sources/types.js';
import { kyselyOver } from './client-kysely.js';
import {
  buildsIndexConcurrently,
  dropInvalidLeftover,
  dropNewInvalidIndexes,
  invalidIndexes,
  isConcurrentStatement,
} from './concurrent-index.js';
import { lockStatement, plannedLocks, resolveUpfrontLocks, type UpfrontLock } from './lock-first.js';
import { backoffMs, isLockTimeout } from './lock-retry.js';
import { describeLockWait, type LockWaitSample, LockWatch, type WatchQueryable } from './lock-watch.js';
import type { MigrationStorage } from './storage.js';
import { rowsTouched } from './work-meter.js';

export type Direction = 'up' | 'down';

export interface StatementRecord {
  /** 1-based position in the migration. */
  index: number;
  /** Line in the file (SQL migrations). */
  line?: number;
  sql: string;
  status: 'applied' | 'failed' | 'rolled-back';
  durationMs: number;
  error?: string;
}

export interface MigrationOutcome {
  name: string;
  direction: Direction;
  transactional: boolean;
  status: 'applied' | 'failed';
  durationMs: number;
  /** Attempts made (more than 1 after lock-timeout retries). */
  attempts: number;
  statements: StatementRecord[];
  /** INVALID indexes left by a failed CONCURRENTLY build and dropped. */
  droppedInvalidIndexes: string[];
  /** Table locks taken before the first statement of a transactional SQL migration (last attempt). */
  upfrontLocks?: UpfrontLock[];
  /** The up-front LOCK TABLE that timed out (no statement of the attempt had run). */
  lockPhaseFailedOn?: UpfrontLock;
  /** Why a lock timeout was not retried although retries were left (work had been done: see README). */
  retryStopped?: string;
  error?: string;
}

/** Hooks around each statement, used by migration tests to trace locks and rewrites. */
export interface StatementTracer {
  before(
    client: pg.ClientBase,
    info: { migration: string; index: number; sql: string; transactional: boolean },
  ): Promise<void>;
  after(
    client: pg.ClientBase,
    info: {
      migration: string;
      index: number;
      sql: string;
      transactional: boolean;
      durationMs: number;
      error?: unknown;
    },
  ): Promise<void>;
}

export interface ApplyOptions {
  storage: MigrationStorage;
  lockTimeoutMs: number;
  /** 0 or undefined: no statement_timeout. */
  statementTimeoutMs?: number;
  maxLockRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  appliedBy: string;
  /** Schema snapshot taken after up, stored with the log row (for rollback validation). */
  snapshot?: (client: pg.ClientBase) => Promise<SchemaSnapshot>;
  tracer?: StatementTracer;
  signal?: AbortSignal;
  /** Cancels the migrating backend's running statement (on abort). */
  cancel?: (pid: number) => Promise<void>;
  /**
   * A statement sent in the same query as COMMIT, ahead of it, that raises
   * SQLSTATE LOCK_LOST_SQLSTATE when the run no longer holds its global
   * lock. The check and the commit then happen back to back on the server,
   * so whether a migration commits no longer depends on when the client
   * hears that the lock's session died. Default: none.
   */
  commitGuard?: () => string;
  logger: Logger;
  /**
   * Take the table locks of a transactional SQL migration before its first
   * statement (default true). Off only for the scratch-copy test's trace,
   * which records the locks each statement takes by itself.
   */
  lockFirst?: boolean;
  /** Watches lock waits of the migrating backend from another connection (events + the blocker in lock-timeout errors). */
  watch?: { db: WatchQueryable; intervalMs: number; onWait?: (s: LockWaitSample) => void };
}

/** SQLSTATE the commit guard raises: the run lost its global lock, so the transaction was not committed. */
export const LOCK_LOST_SQLSTATE = 'DBRSL';

/** COMMIT, preceded by the commit guard in one simple query (no round trip between the two). */
async function commit(client: pg.Client, opts: ApplyOptions): Promise<void> {
  const guard = opts.commitGuard?.();
  await client.query(guard ? `${guard};\nCOMMIT` : 'COMMIT');
}

interface PlannedStatement {
  sql: string;
  line?: number;
  /** Parse tree (lock-first planning). */
  type: string;
  node: Record<string, unknown>;
}

/** Splits a SQL section into statements with file line numbers. Syntax errors name the file and line. */
export async function planSqlStatements(m: MigrationSource, direction: Direction): Promise<PlannedStatement[]> {
  const text = direction === 'up' ? m.upSql : m.downSql;
  if (text === undefined) return [];
  await loadParser();
  try {
    return parseSqlSync(text).statements.map((s) => ({ sql: s.text, line: s.line, type: s.type, node: s.node }));
  } catch (err) {
    if (err instanceof SqlSyntaxError) {
      throw new DbrsError(
        'MIGRATION_SYNTAX',
        `Syntax error in ${m.path} (${direction}) at line ${err.line}, column ${err.column}: ${err.message}.`,
        {
          hint: 'Fix the SQL; nothing was applied.',
          details: { migration: m.name, file: m.path, line: err.line, column: err.column, direction },
        },
      );
    }
    throw err;
  }
}

/** Waits out a lock-retry backoff; an abort ends the wait at once instead of after up to retryMaxMs. */
async function backoff(waitMs: number, signal: AbortSignal | undefined, migration: string): Promise<void> {
  try {
    await sleep(waitMs, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw abortError(signal, `lock-retry backoff of migration ${migration}`);
    throw err;
  }
}

function ms(n: number | undefined): string {
  return `${Math.max(0, Math.round(n ?? 0))}ms`;
}

/**
 * Applies (or reverts) one migration on `client`. Transactional migrations run
 * as BEGIN; SET LOCAL timeouts; statements; log row; COMMIT, so a failure
 * leaves neither schema changes nor a log row. On SQLSTATE 55P03 the whole
 * transaction is retried with backoff. No-transaction migrations run statement
 * by statement (each retried on 55P03); CONCURRENTLY statements get no
 * lock_timeout/statement_timeout, and a failed concurrent build's INVALID index
 * is dropped.
 */
export async function applyMigration(
  client: pg.Client,
  m: MigrationSource,
  direction: Direction,
  opts: ApplyOptions,
): Promise<MigrationOutcome> {
  if (direction === 'down' && m.irreversible) {
    throw new DbrsError(
      'MIGRATION_IRREVERSIBLE',
      `Migration ${m.name} is declared irreversible and cannot be rolled back.`,
      {
        hint: 'Roll back to a later migration, or restore from a backup.',
        details: { migration: m.name },
      },
    );
  }
  const planned = m.kind === 'sql' ? await planSqlStatements(m, direction) : undefined;
  const started = performance.now();
  const outcome: MigrationOutcome = {
    name: m.name,
    direction,
    transactional: m.transactional,
    status: 'failed',
    durationMs: 0,
    attempts: 0,
    statements: [],
    droppedInvalidIndexes: [],
  };
  const pid = (client as unknown as { processID: number }).processID;
  const onAbort = () => void opts.cancel?.(pid);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const watch = opts.watch ? new LockWatch({ ...opts.watch, pid, migration: m.name, logger: opts.logger }) : undefined;
  try {
    const run: MigrationRun = { client, m, direction, planned, opts, outcome, started };
    if (m.transactional) await runTransactional(run);
    else await runAutocommit(run);
    outcome.status = 'applied';
    outcome.durationMs = performance.now() - started;
    return outcome;
  } catch (err) {
    outcome.durationMs = performance.now() - started;
    outcome.error = errorMessage(err);
    if ((err as DbrsError).code === 'MIGRATION_IRREVERSIBLE' || (err as DbrsError).code === 'MIGRATION_SYNTAX')
      throw err;
    throw failure(err, {
      m,
      direction,
      outcome,
      signal: opts.signal,
      lockWait: isLockTimeout(err) ? watch?.last : undefined,
    });
  } finally {
    watch?.close();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** What `failure` describes: the migration, how far it got, and the lock wait seen when a lock timed out. */
interface FailureContext {
  m: MigrationSource;
  direction: Direction;
  outcome: MigrationOutcome;
  signal?: AbortSignal | undefined;
  lockWait?: LockWaitSample | undefined;
}

function failure(err: unknown, { m, direction, outcome, signal, lockWait }: FailureContext): DbrsError {
  const failed = outcome.statements.find((s) => s.status === 'failed');
  const applied = outcome.statements.filter((s) => s.status === 'applied').length;
  const upfront = outcome.lockPhaseFailedOn;
  const where = failed
    ? ` at statement ${failed.index}${failed.line ? ` (line ${failed.line})` : ''}`
    : upfront
      ? ` while taking its table locks before its first statement (${lockStatement(upfront)})`
      : '';
  const pgErr = err as { message?: string; code?: string };
  const partial = m.transactional
    ? 'The transaction was rolled back: nothing of it was applied and it is not recorded.'
    : applied > 0
      ? `This migration is non-transactional: statements ${outcome.statements
          .filter((s) => s.status === 'applied')
          .map((s) => s.index)
          .join(
            ', ',
          )} were applied and stay applied; it is not recorded, so the next run starts it again (write it with IF [NOT] EXISTS).`
      : 'No statement of it was applied.';
  const code = signal?.aborted || pgErr.code === LOCK_LOST_SQLSTATE ? 'ABORTED' : 'MIGRATION_FAILED';
  // A lock timeout says who held the lock (last sample of the lock watch), not only that one was held.
  const blocked = lockWait ? ` Last lock wait seen: ${describeLockWait(lockWait)}.` : '';
  const stopped = outcome.retryStopped ? ` Lock timeout ${outcome.retryStopped}.` : '';
  return new DbrsError(
    code,
    `Migration ${m.name} (${direction}) failed${where}: ${(pgErr.message ?? String(err)).replace(/\.$/, '')}${pgErr.code ? ` [SQLSTATE ${pgErr.code}]` : ''}. ${partial}${blocked}${stopped}`,
    {
      cause: err,
      details: {
        migration: m.name,
        file: m.path,
        direction,
        sqlstate: pgErr.code,
        line: failed?.line,
        outcome,
        ...(lockWait ? { lockWait } : {}),
      },
    },
  );
}

async function executeStatements(
  m: MigrationSource,
  direction: Direction,
  planned: PlannedStatement[] | undefined,
  opts: ApplyOptions,
  runOne: (sql: string, params: readonly unknown[], line: number | undefined) => Promise<pg.QueryResult>,
): Promise<void> {
  if (planned) {
    for (const s of planned) {
      if (opts.signal?.aborted) throw new DbrsError('ABORTED', `Migration ${m.name} was aborted.`);
      await runOne(s.sql, [], s.line);
    }
    return;
  }
  const mod = await m.load!();
  const fn = direction === 'up' ? mod.up : mod.down;
  if (!fn) return;
  await fn(await kyselyOver(async (sql, params) => runOne(sql, params, undefined)));
}

/** One statement to run and record: where (`run`) and what. */
interface TracedStatement {
  sql: string;
  params: readonly unknown[];
  line: number | undefined;
}

async function traced(
  run: Pick<MigrationRun, 'client' | 'm' | 'opts' | 'outcome'>,
  { sql, params, line }: TracedStatement,
): Promise<pg.QueryResult> {
  const { client, m, opts, outcome } = run;
  const index = outcome.statements.length + 1;
  const info = { migration: m.name, index, sql, transactional: m.transactional };
  await opts.tracer?.before(client, info);
  const t0 = performance.now();
  const rec: StatementRecord = { index, sql, status: 'applied', durationMs: 0, ...(line ? { line } : {}) };
  outcome.statements.push(rec);
  try {
    const res = await client.query(sql, params as unknown[]);
    rec.durationMs = performance.now() - t0;
    await opts.tracer?.after(client, { ...info, durationMs: rec.durationMs });
    return res;
  } catch (err) {
    rec.durationMs = performance.now() - t0;
    rec.status = 'failed';
    rec.error = errorMessage(err);
    await opts.tracer?.after(client, { ...info, durationMs: rec.durationMs, error: err }).catch(() => {});
    throw err;
  }
}

/** One migration being applied: what runTransactional and runAutocommit work on. */
interface MigrationRun {
  client: pg.Client;
  m: MigrationSource;
  direction: Direction;
  planned: PlannedStatement[] | undefined;
  opts: ApplyOptions;
  outcome: MigrationOutcome;
  /** performance.now() when applyMigration started. */
  started: number;
}

/** How far one transactional attempt got (read after it failed). */
interface AttemptProgress {
  /** Rows read or written by the statements before the one running now, in this attempt. */
  rowsBefore: bigint;
  /** The up-front lock being taken, while the lock phase runs. */
  lockingOn?: UpfrontLock;
}

/**
 * One attempt of a transactional migration: BEGIN, timeouts, the table locks
 * up front, the statements (with the rows they touched metered before each),
 * log row, COMMIT. Returns normally on commit; on error the transaction is
 * still open (the caller rolls back) and `progress` says how far it got.
 */
async function attemptTransaction(run: MigrationRun, progress: AttemptProgress): Promise<void> {
  const { client, m, direction, planned, opts, outcome, started } = run;
  await client.query('BEGIN');
  await client.query(`SET LOCAL lock_timeout = '${ms(opts.lockTimeoutMs)}'`);
  if (opts.statementTimeoutMs) await client.query(`SET LOCAL statement_timeout = '${ms(opts.statementTimeoutMs)}'`);
  if (planned && opts.lockFirst !== false) {
    outcome.upfrontLocks = await resolveUpfrontLocks(client, plannedLocks(planned));
    for (const l of outcome.upfrontLocks) {
      progress.lockingOn = l;
      await client.query(lockStatement(l));
    }
    progress.lockingOn = undefined;
  }
  const baseline = await rowsTouched(client);
  await executeStatements(m, direction, planned, opts, async (sql, params, line) => {
    // Read before each statement: if it then times out on a lock, we know whether earlier ones did work.
    if (outcome.statements.length > 0) progress.rowsBefore = (await rowsTouched(client)) - baseline;
    return traced({ client, m, opts, outcome }, { sql, params, line });
  });
  if (direction === 'up') {
    const snap = opts.snapshot ? await opts.snapshot(client) : undefined;
    await opts.storage.record(
      client,
      {
        name: m.name,
        checksum: m.checksum,
        durationMs: performance.now() - started,
        appliedBy: opts.appliedBy,
        irreversible: m.irreversible,
      },
      snap,
    );
  } else await opts.storage.remove(client, m.name);
  await commit(client, opts);
}

/**
 * Retries of a transactional migration never repeat heavy work under its
 * locks. Lock-first: the table locks its SQL statements will ask for are
 * taken before the first statement, so the usual lock timeout happens before
 * any work and a retry repeats only the cheap LOCK TABLE. Retry guard: a lock
 * timeout after statements that read or wrote rows (a lock lock-first could
 * not predict, a row lock, a TS migration) is not retried, and the error
 * says why. Between attempts nothing is held (the transaction is rolled back).
 */
async function runTransactional(run: MigrationRun): Promise<void> {
  const { client, m, opts, outcome } = run;
  for (let attempt = 1; ; attempt++) {
    outcome.attempts = attempt;
    outcome.statements = [];
    const progress: AttemptProgress = { rowsBefore: 0n };
    try {
      await attemptTransaction(run, progress);
      return;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      for (const s of outcome.statements) if (s.status === 'applied') s.status = 'rolled-back';
      if (progress.lockingOn) outcome.lockPhaseFailedOn = progress.lockingOn;
      if (!isLockTimeout(err) || attempt > opts.maxLockRetries || opts.signal?.aborted) throw err;
      if (progress.rowsBefore > 0n) {
        const done = outcome.statements.filter((s) => s.status === 'rolled-back').length;
        outcome.retryStopped = `not retried: the ${done} statement(s) before it had read or written ${progress.rowsBefore} rows in this attempt, and a retry would repeat that work under the migration's locks; run it again once the blocker is gone`;
        opts.logger.warn(
          {
            event: 'migration_lock_timeout_not_retried',
            migration: m.name,
            attempt,
            rows: String(progress.rowsBefore),
          },
          'lock timeout after work was done; not retrying',
        );
        throw err;
      }
      const wait = backoffMs(attempt, opts.retryBaseMs, opts.retryMaxMs);
      opts.logger.warn(
        {
          event: 'migration_lock_timeout_retry',
          migration: m.name,
          attempt,
          waitMs: wait,
          ...(progress.lockingOn ? { lockingUpFront: progress.lockingOn.relation } : {}),
        },
        'lock timeout; retrying migration',
      );
      await backoff(wait, opts.signal, m.name);
    }
  }
}

async function runAutocommit(run: MigrationRun): Promise<void> {
  const { client, m, direction, planned, opts, outcome, started } = run;
  outcome.attempts = 1;
  const runOne = async (sql: string, params: readonly unknown[], line: number | undefined): Promise<pg.QueryResult> => {
    const concurrent = isConcurrentStatement(sql);
    // CONCURRENTLY waits for older transactions by design; a short timeout would only make it fail and leave debris.
    await client.query(`SET lock_timeout = '${concurrent ? '0' : ms(opts.lockTimeoutMs)}'`);
    await client.query(`SET statement_timeout = '${concurrent ? '0' : ms(opts.statementTimeoutMs)}'`);
    const building = buildsIndexConcurrently(sql);
    let before: Set<string> | undefined;
    if (building) {
      const leftover = await dropInvalidLeftover(client, sql);
      if (leftover) outcome.droppedInvalidIndexes.push(leftover);
      before = await invalidIndexes(client);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await traced({ client, m, opts, outcome }, { sql, params, line });
      } catch (err) {
        if (building && before)
          outcome.droppedInvalidIndexes.push(...(await dropNewInvalidIndexes(client, before).catch(() => [])));
        if (isLockTimeout(err) && attempt <= opts.maxLockRetries && !opts.signal?.aborted) {
          outcome.statements.pop();
          outcome.attempts++;
          const wait = backoffMs(attempt, opts.retryBaseMs, opts.retryMaxMs);
          opts.logger.warn(
            { event: 'migration_lock_timeout_retry', migration: m.name, attempt, waitMs: wait },
            'lock timeout; retrying statement',
          );
          await backoff(wait, opts.signal, m.name);
          continue;
        }
        throw err;
      }
    }
  };
  try {
    await executeStatements(m, direction, planned, opts, runOne);
    if (direction === 'up') {
      const snap = opts.snapshot ? await opts.snapshot(client) : undefined;
      await client.query('BEGIN');
      try {
        await opts.storage.record(
          client,
          {
            name: m.name,
            checksum: m.checksum,
            durationMs: performance.now() - started,
            appliedBy: opts.appliedBy,
            irreversible: m.irreversible,
          },
          snap,
        );
        await commit(client, opts);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } else await opts.storage.remove(client, m.name);
  } finally {
    await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => {});
  }
}
