import { quoteQualified } from '@voicehive/db-core';
import { formatAge, formatCount, formatPercent, shortSql } from '../format/units.js';
import type { LiveSession } from '../insights/activity.js';
import type { TableMaintenance } from '../insights/tables.js';
import type { IssueSeverity, StatusIssue } from './types.js';

const MIN = 60_000;

export interface LiveThresholds {
  longRunningInfoMs: number;
  longRunningWarningMs: number;
  idleInTransactionInfoMs: number;
  idleInTransactionWarningMs: number;
  idleInTransactionCriticalMs: number;
  blockedWarningMs: number;
  blockedCriticalMs: number;
}

/** When a live session becomes an issue, and how bad. pgMonitor: idle in transaction 300 s warning, 900 s critical. */
export const LIVE_THRESHOLDS: LiveThresholds = {
  longRunningInfoMs: 1 * MIN,
  longRunningWarningMs: 5 * MIN,
  idleInTransactionInfoMs: 1 * MIN,
  idleInTransactionWarningMs: 5 * MIN,
  idleInTransactionCriticalMs: 15 * MIN,
  blockedWarningMs: 10_000,
  blockedCriticalMs: 5 * MIN,
};

/** Dead rows worth a VACUUM: at least this many, and this share of the table. */
export const DEAD_ROWS = { minRows: 1000, warningRatio: 0.2 };

/**
 * Issues from live sessions. Impact is age: a blocked session's wait, a
 * blocker's victims' longest wait, an idle transaction's idle time. A
 * session that blocks others is reported as the blocker (critical when its
 * victims have waited long), so the fix named is the one that unblocks.
 */
export function sessionIssues(sessions: LiveSession[], thresholds: Partial<LiveThresholds> = {}): StatusIssue[] {
  const t = { ...LIVE_THRESHOLDS, ...thresholds };
  const issues: StatusIssue[] = [];
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const victims = new Map<number, LiveSession[]>();
  for (const s of sessions) for (const b of s.blockedBy) victims.set(b, [...(victims.get(b) ?? []), s]);

  for (const [blockerPid, waiting] of victims) {
    const longest = Math.max(...waiting.map((w) => w.queryAgeMs ?? 0));
    const blocker = byPid.get(blockerPid);
    const severity: IssueSeverity =
      longest >= t.blockedCriticalMs ? 'critical' : longest >= t.blockedWarningMs ? 'warning' : 'info';
    const what = blocker
      ? `${blocker.state}${blocker.state.startsWith('idle in transaction') ? ` for ${formatAge(blocker.stateAgeMs ?? 0)}` : ''}, last statement: ${shortSql(blocker.query, 100)}`
      : 'not visible to this role';
    issues.push({
      severity,
      component: 'database',
      key: `database.blocking:${blockerPid}`,
      ...(blocker ? { fullText: `sessions/${blockerPid}` } : {}),
      impact: longest,
      section: 'live-queries',
      message: `Session ${blockerPid} blocks ${waiting.length} session(s) (longest wait ${formatAge(longest)}: ${shortSql(waiting[0]!.query, 100)}); it is ${what}.`,
      action: `Find out what session ${blockerPid} is doing (application ${blocker?.application ?? 'unknown'}); if it can go, terminate it.`,
      sql: `SELECT pg_terminate_backend(${blockerPid});`,
    });
  }
  for (const s of sessions) {
    if (victims.has(s.pid)) continue; // already reported as the blocker
    if (s.state.startsWith('idle in transaction')) {
      const idle = s.stateAgeMs ?? 0;
      if (idle < t.idleInTransactionInfoMs) continue;
      const severity: IssueSeverity =
        idle >= t.idleInTransactionCriticalMs ? 'critical' : idle >= t.idleInTransactionWarningMs ? 'warning' : 'info';
      issues.push({
        severity,
        component: 'database',
        key: `database.idle-in-transaction:${s.pid}`,
        fullText: `sessions/${s.pid}`,
        impact: idle,
        section: 'live-queries',
        message: `Session ${s.pid} (${s.application ?? s.user ?? 'unknown'}) has been idle in transaction for ${formatAge(idle)}, holding ${s.locksHeld} lock(s); it keeps VACUUM from removing dead rows. Last statement: ${shortSql(s.query, 100)}`,
        action:
          'Fix the application path that leaves the transaction open (commit or roll back promptly; set idle_in_transaction_session_timeout); terminate the session if it is stuck.',
        sql: `SELECT pg_terminate_backend(${s.pid});`,
      });
    } else if (s.blockedBy.length > 0) {
    } else if (s.state === 'active') {
      const age = s.queryAgeMs ?? 0;
      if (age < t.longRunningInfoMs) continue;
      issues.push({
        severity: age >= t.longRunningWarningMs ? 'warning' : 'info',
        component: 'database',
        key: `database.long-running:${s.pid}`,
        fullText: `sessions/${s.pid}`,
        impact: age,
        section: 'live-queries',
        message: `Query running for ${formatAge(age)} in session ${s.pid} (${s.application ?? s.user ?? 'unknown'}): ${shortSql(s.query, 120)}`,
        action: 'Check whether it is expected (a report, a migration); cancel it if not, and look at its plan.',
        sql: `SELECT pg_cancel_backend(${s.pid});`,
      });
    }
  }
  return issues;
}

/** Tables whose dead rows VACUUM has not caught up with; impact is the dead row count. */
export function deadRowIssues(tables: TableMaintenance[]): StatusIssue[] {
  return tables
    .filter((t) => t.deadRows >= DEAD_ROWS.minRows && t.deadRatio >= DEAD_ROWS.warningRatio)
    .map((t) => {
      const name = quoteQualified(t.schema, t.table);
      const last = t.lastAutovacuum ?? t.lastVacuum;
      return {
        severity: 'warning' as const,
        component: 'database' as const,
        key: `database.dead-rows:${t.schema}.${t.table}`,
        impact: t.deadRows,
        section: 'maintenance' as const,
        message: `${t.schema}.${t.table} has ${formatCount(t.deadRows)} dead rows (${formatPercent(t.deadRatio, 0)} of the table); last vacuum ${last ?? 'never'}.`,
        action:
          'Vacuum it now, then look for what holds back autovacuum (long transactions, idle in transaction) or tune its autovacuum_vacuum_scale_factor.',
        sql: `VACUUM (ANALYZE) ${name};`,
      };
    });
}
