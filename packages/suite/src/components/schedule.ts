import { Cron } from 'croner';

/** The most recent time the cron schedule fired at or before `now`; undefined if never. */
export function lastScheduledRun(pattern: string, now = new Date()): Date | undefined {
  const cron = new Cron(pattern, { paused: true });
  try {
    return cron.previousRuns(1, now)[0];
  } finally {
    cron.stop();
  }
}

/** Interval between consecutive runs of the schedule (from the next two), in ms. */
export function scheduleIntervalMs(pattern: string, now = new Date()): number {
  const cron = new Cron(pattern, { paused: true });
  try {
    const [a, b] = cron.nextRuns(2, now);
    return a && b ? b.getTime() - a.getTime() : 24 * 3600_000;
  } finally {
    cron.stop();
  }
}
