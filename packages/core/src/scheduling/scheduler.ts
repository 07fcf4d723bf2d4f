import { Cron } from 'croner';
import type { LeaderLock } from '../coordination/leader-lock.js';
import { abortError, DbrsError, isDbrsError } from '../errors.js';
import { type Logger, silentLogger } from '../observability/logger.js';

export interface TaskContext {
  /** Aborted when the scheduler stops and the task overran the stop timeout. */
  signal: AbortSignal;
  taskName: string;
}

export interface TaskDefinition {
  name: string;
  /** A cron expression (5 or 6 fields, croner syntax). Exactly one of `cron` / `intervalMs`. */
  cron?: string;
  /** Run every this many ms. */
  intervalMs?: number;
  /** Random delay added to each run, 0..jitterMs, so replicas do not stampede. Default 0. */
  jitterMs?: number;
  /** Run only while this instance holds the scheduler's leader lock. Default false. */
  leaderOnly?: boolean;
  /** Also run once as soon as the scheduler starts. Default false. */
  runOnStart?: boolean;
  run: (ctx: TaskContext) => Promise<unknown>;
}

export type TaskOutcome = 'completed' | 'failed' | 'skipped-overlap' | 'skipped-not-leader';

export interface TaskRun {
  task: string;
  outcome: TaskOutcome;
  startedAt: Date;
  durationMs: number;
  error?: DbrsError | Error;
}

export interface SchedulerOptions {
  logger?: Logger;
  /** Lock that decides which replica runs `leaderOnly` tasks. */
  leaderLock?: LeaderLock;
  /** Called after every run (metrics, audit). */
  onRun?: (run: TaskRun) => void;
}

interface ScheduledTask {
  def: TaskDefinition;
  cron?: Cron;
  timer?: NodeJS.Timeout;
  jitterTimers: Set<NodeJS.Timeout>;
  running?: Promise<void>;
}

/**
 * Runs tasks on cron expressions or intervals. A task never overlaps itself
 * (a tick that finds the previous run still going is skipped and reported);
 * `leaderOnly` tasks run only on the replica holding the leader lock, which is
 * tried (never waited for) at each tick, so several replicas run each task
 * once. `stop()` cancels timers, waits for running tasks, then aborts them.
 * `close()` is `stop()` with its default wait, for the lifecycle every resource
 * owner shares: twice is fine, and any use afterwards is CLOSED.
 */
export class Scheduler implements AsyncDisposable {
  readonly #tasks = new Map<string, ScheduledTask>();
  readonly #logger: Logger;
  readonly #leaderLock: LeaderLock | undefined;
  readonly #onRun: ((run: TaskRun) => void) | undefined;
  readonly #abort = new AbortController();
  #started = false;
  #stopped = false;
  #stopping: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    this.#logger = (options.logger ?? silentLogger()).child({ component: 'scheduler' });
    this.#leaderLock = options.leaderLock;
    this.#onRun = options.onRun;
  }

  add(def: TaskDefinition): this {
    if (this.#stopped) throw closedError();
    if (this.#tasks.has(def.name)) throw new DbrsError('ALREADY_EXISTS', `Task "${def.name}" is already scheduled.`);
    if ((def.cron === undefined) === (def.intervalMs === undefined)) {
      throw new DbrsError('INVALID_ARGUMENT', `Task "${def.name}" needs exactly one of cron or intervalMs.`);
    }
    if (def.intervalMs !== undefined && !(def.intervalMs > 0)) {
      throw new DbrsError(
        'INVALID_ARGUMENT',
        `Task "${def.name}" has intervalMs ${def.intervalMs}; use a positive number.`,
      );
    }
    if (def.leaderOnly && !this.#leaderLock) {
      throw new DbrsError('INVALID_ARGUMENT', `Task "${def.name}" is leaderOnly but the scheduler has no leaderLock.`);
    }
    const task: ScheduledTask = { def, jitterTimers: new Set() };
    if (def.cron !== undefined) {
      try {
        task.cron = new Cron(def.cron, { paused: true }, () => this.#tick(task));
      } catch (cause) {
        throw new DbrsError('INVALID_ARGUMENT', `Task "${def.name}" has an invalid cron expression "${def.cron}".`, {
          cause,
          hint: 'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *".',
        });
      }
    }
    this.#tasks.set(def.name, task);
    if (this.#started) this.#startTask(task);
    return this;
  }

  start(): void {
    if (this.#stopped) throw closedError();
    if (this.#started) return;
    this.#started = true;
    for (const task of this.#tasks.values()) this.#startTask(task);
  }

  /** Next planned run of a cron task (intervals return undefined). */
  nextRun(name: string): Date | undefined {
    return this.#tasks.get(name)?.cron?.nextRun() ?? undefined;
  }

  /**
   * Runs a task now (still no overlap, still leader-gated); resolves to its outcome. The task's signal is
   * aborted by the caller's `signal` as well as by stop(): an aborted task ends as `failed` with its ABORTED
   * error. Rejects with CLOSED after stop(), ABORTED when `signal` is already aborted (nothing ran).
   */
  runNow(name: string, options: { signal?: AbortSignal } = {}): Promise<TaskRun> {
    if (this.#stopped) return Promise.reject(closedError());
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal, `task ${name}`));
    const task = this.#tasks.get(name);
    if (!task) return Promise.reject(new DbrsError('NOT_FOUND', `No task named "${name}".`));
    return this.#execute(task, options.signal);
  }

  /**
   * Stops timers, waits up to `timeoutMs` (default 10 s) for running tasks, then aborts them. Idempotent: a
   * second call waits for the first.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options);
    return this.#stopping;
  }

  /** stop() with its default wait; the lifecycle every resource owner shares. */
  close(): Promise<void> {
    return this.stop();
  }

  async #stop(options: { timeoutMs?: number }): Promise<void> {
    this.#stopped = true;
    for (const task of this.#tasks.values()) {
      task.cron?.stop();
      if (task.timer) clearInterval(task.timer);
      for (const t of task.jitterTimers) clearTimeout(t);
    }
    const running = [...this.#tasks.values()].map((t) => t.running).filter((p): p is Promise<void> => !!p);
    if (running.length > 0) {
      const timeout = new Promise<'timeout'>((r) =>
        setTimeout(() => r('timeout'), options.timeoutMs ?? 10_000).unref(),
      );
      const result = await Promise.race([Promise.allSettled(running).then(() => 'done' as const), timeout]);
      if (result === 'timeout') {
        this.#abort.abort(new DbrsError('ABORTED', 'The scheduler stopped before the task finished.'));
        await Promise.allSettled(running);
      }
    }
    await this.#leaderLock?.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #startTask(task: ScheduledTask): void {
    if (task.cron) task.cron.resume();
    else task.timer = setInterval(() => this.#tick(task), task.def.intervalMs).unref();
    if (task.def.runOnStart) this.#tick(task);
  }

  #tick(task: ScheduledTask): void {
    const jitter = task.def.jitterMs ? Math.floor(Math.random() * task.def.jitterMs) : 0;
    if (jitter === 0) {
      void this.#execute(task);
      return;
    }
    const timer = setTimeout(() => {
      task.jitterTimers.delete(timer);
      void this.#execute(task);
    }, jitter);
    timer.unref();
    task.jitterTimers.add(timer);
  }

  async #execute(task: ScheduledTask, callerSignal?: AbortSignal): Promise<TaskRun> {
    const startedAt = new Date();
    const name = task.def.name;
    if (task.running) return this.#report({ task: name, outcome: 'skipped-overlap', startedAt, durationMs: 0 });
    let release!: () => void;
    task.running = new Promise<void>((r) => (release = r));
    const t0 = performance.now();
    try {
      if (task.def.leaderOnly && !(await this.#isLeader())) {
        return this.#report({
          task: name,
          outcome: 'skipped-not-leader',
          startedAt,
          durationMs: performance.now() - t0,
        });
      }
      const signal = callerSignal ? AbortSignal.any([this.#abort.signal, callerSignal]) : this.#abort.signal;
      await task.def.run({ signal, taskName: name });
      return this.#report({ task: name, outcome: 'completed', startedAt, durationMs: performance.now() - t0 });
    } catch (err) {
      const error = isDbrsError(err) || err instanceof Error ? err : new Error(String(err));
      return this.#report({ task: name, outcome: 'failed', startedAt, durationMs: performance.now() - t0, error });
    } finally {
      task.running = undefined;
      release();
    }
  }

  async #isLeader(): Promise<boolean> {
    const lock = this.#leaderLock!;
    if (lock.held) return true;
    try {
      return await lock.acquire({ timeoutMs: 0 });
    } catch (err) {
      this.#logger.warn({ event: 'leader_check_failed', err }, 'could not check leadership');
      return false;
    }
  }

  #report(run: TaskRun): TaskRun {
    const level = run.outcome === 'failed' ? 'error' : run.outcome === 'completed' ? 'info' : 'debug';
    this.#logger[level](
      {
        event: 'task_run',
        task: run.task,
        outcome: run.outcome,
        durationMs: Math.round(run.durationMs),
        err: run.error,
      },
      `task ${run.task} ${run.outcome}`,
    );
    try {
      this.#onRun?.(run);
    } catch (err) {
      this.#logger.warn({ event: 'task_hook_failed', err }, 'onRun hook threw');
    }
    return run;
  }
}

function closedError(): DbrsError {
  return new DbrsError('CLOSED', 'The scheduler is stopped.', {
    hint: 'Create a new Scheduler; a stopped one cannot be restarted.',
  });
}

export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  return new Scheduler(options);
}
