import {
  type AuditLog,
  errorMessage,
  isDbrsError,
  type LeaderLock,
  type Logger,
  redactString,
} from '@voicehive/db-core';
import type { MaintenanceTask } from '../components/feature.js';
import type { MaintenanceState } from './state.js';

export type TaskResultOutcome = 'completed' | 'failed' | 'skipped-not-due' | 'aborted';

export interface MaintenanceTaskResult {
  task: string;
  outcome: TaskResultOutcome;
  durationMs: number;
  details?: Record<string, unknown>;
  error?: string;
}

export interface MaintenanceCycleResult {
  /** False when another instance held the maintenance lock; nothing ran here. */
  ran: boolean;
  reason?: string;
  tasksCompleted: number;
  tasksFailed: number;
  tasksSkipped: number;
  durationMs: number;
  tasks: MaintenanceTaskResult[];
}

export interface RunCycleOptions {
  tasks: MaintenanceTask[];
  lock: LeaderLock;
  state: MaintenanceState;
  audit: AuditLog;
  logger: Logger;
  actor: string;
  signal: AbortSignal;
  /** Wait this long for another instance's cycle to finish, in ms. Default 0: skip at once. */
  lockTimeoutMs?: number;
  /** Ignore the tasks' intervals and due checks. Default false. */
  force?: boolean;
  onTask?(result: MaintenanceTaskResult): void;
}

/**
 * One maintenance cycle: under the leader lock, each due task runs in turn,
 * isolated (a failure is recorded and the next task still runs), audited,
 * and its completion time stored so no replica repeats it within its interval.
 * Audit writes follow core's policy: a failed one is logged and counted by
 * AuditLog and never turns a completed task into a failed one.
 */
// Long: the cycle's steps (lock, due tasks, each with audit and metrics, release) share the lock and the result.
export async function runCycle(options: RunCycleOptions): Promise<MaintenanceCycleResult> {
  const started = performance.now();
  const got = await options.lock.acquire({ timeoutMs: options.lockTimeoutMs ?? 0, signal: options.signal });
  if (!got) {
    return {
      ran: false,
      reason: 'Another instance is running maintenance.',
      tasksCompleted: 0,
      tasksFailed: 0,
      tasksSkipped: options.tasks.length,
      durationMs: performance.now() - started,
      tasks: [],
    };
  }
  const results: MaintenanceTaskResult[] = [];
  try {
    const last = await options.state.lastCompleted(options.signal);
    for (const task of options.tasks) {
      const t0 = performance.now();
      if (options.signal.aborted) {
        results.push({ task: task.name, outcome: 'aborted', durationMs: 0 });
        continue;
      }
      try {
        const lastAt = last.get(task.name);
        const intervalDue = !lastAt || Date.now() - lastAt.getTime() >= task.minIntervalMs;
        const due = options.force || (intervalDue && (task.isDue ? await task.isDue(options.signal) : true));
        if (!due) {
          results.push({ task: task.name, outcome: 'skipped-not-due', durationMs: performance.now() - t0 });
          continue;
        }
        const details = (await task.run(options.signal)) ?? undefined;
        const at = new Date();
        await options.state.markCompleted(task.name, at);
        const r: MaintenanceTaskResult = {
          task: task.name,
          outcome: 'completed',
          durationMs: performance.now() - t0,
          ...(details ? { details } : {}),
        };
        results.push(r);
        await options.audit.record({
          actor: options.actor,
          action: `maintenance.${task.name}`,
          target: task.name,
          outcome: 'success',
          details: { durationMs: Math.round(r.durationMs), ...(details ?? {}) },
        });
      } catch (err) {
        const aborted = options.signal.aborted || isDbrsError(err, 'ABORTED');
        const message = redactString(errorMessage(err));
        const r: MaintenanceTaskResult = {
          task: task.name,
          outcome: aborted ? 'aborted' : 'failed',
          durationMs: performance.now() - t0,
          error: message,
        };
        results.push(r);
        options.logger.warn(
          { event: 'maintenance_task_failed', task: task.name, err },
          `maintenance task ${task.name} ${r.outcome}`,
        );
        await options.audit.record({
          actor: options.actor,
          action: `maintenance.${task.name}`,
          target: task.name,
          outcome: 'failure',
          details: { error: message },
        });
      } finally {
        options.onTask?.(results.at(-1)!);
      }
    }
  } finally {
    await options.lock.release();
  }
  return {
    ran: true,
    tasksCompleted: results.filter((r) => r.outcome === 'completed').length,
    tasksFailed: results.filter((r) => r.outcome === 'failed' || r.outcome === 'aborted').length,
    tasksSkipped: results.filter((r) => r.outcome === 'skipped-not-due').length,
    durationMs: performance.now() - started,
    tasks: results,
  };
}
