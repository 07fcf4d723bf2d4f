import type { AuditLog, Database } from '@voicehive/db-core';
import type { SuiteAction } from '../http/actions.js';
import { RESET_QUERY_STATS_QUESTION, resetQueryStats } from './query-stats.js';
import { confirmSessionSignal, type SessionSignal, signalSession } from './sessions.js';

export interface OperatorActionsContext {
  database: Database;
  audit: AuditLog;
  /** The suite's application_name: its own sessions are refused. */
  ownApplication?: string;
  /** Offer the reset of pg_stat_statements (the queries section exists only with the performance component). */
  queryStats: boolean;
}

/** The page's actions on the database itself: stop a live session, reset query statistics. All confirm first. */
export function operatorActions(ctx: OperatorActionsContext): Record<string, SuiteAction> {
  const session = (mode: SessionSignal, label: string): SuiteAction => ({
    label,
    placement: 'session',
    params: ['pid'],
    confirm: ({ params, signal }) =>
      confirmSessionSignal({
        database: ctx.database,
        pid: params['pid'],
        mode,
        ownApplication: ctx.ownApplication,
        signal,
      }),
    run: ({ params, actor, client, signal }) =>
      signalSession({
        database: ctx.database,
        audit: ctx.audit,
        pid: params?.['pid'],
        mode,
        actor,
        client,
        ownApplication: ctx.ownApplication,
        signal,
      }),
  });
  return {
    'session-cancel': session('cancel', 'Cancel'),
    'session-terminate': session('terminate', 'Terminate'),
    ...(ctx.queryStats
      ? {
          'reset-query-stats': {
            label: 'Reset query statistics',
            placement: 'queries',
            confirm: async () => RESET_QUERY_STATS_QUESTION,
            run: ({ actor, client, signal }) =>
              resetQueryStats({ database: ctx.database, audit: ctx.audit, actor, client, signal }),
          } satisfies SuiteAction,
        }
      : {}),
  };
}
