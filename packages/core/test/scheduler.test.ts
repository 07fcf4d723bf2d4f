import { createTestDatabase, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, LeaderLock, Scheduler, type TaskRun } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Scheduler (no database)', () => {
  it('never overlaps a slow task with itself', async () => {
    let running = 0;
    let maxRunning = 0;
    let completed = 0;
    const runs: TaskRun[] = [];
    const scheduler = new Scheduler({ onRun: (r) => runs.push(r) });
    scheduler.add({
      name: 'slow',
      intervalMs: 20,
      run: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(150);
        running--;
        completed++;
      },
    });
    scheduler.start();
    // Bounded wait for two completions and an overlap skip: a fixed delay may be too short under load.
    for (
      let waited = 0;
      (completed < 2 || !runs.some((r) => r.outcome === 'skipped-overlap')) && waited < 10_000;
      waited += 20
    )
      await sleep(20);
    await scheduler.stop();
    expect(maxRunning).toBe(1);
    expect(completed).toBeGreaterThanOrEqual(2);
    expect(runs.some((r) => r.outcome === 'skipped-overlap')).toBe(true);
  });

  it('rejects a bad cron expression with the fix', () => {
    const scheduler = new Scheduler();
    expect(() => scheduler.add({ name: 'x', cron: '61 * * * *', run: async () => {} })).toThrowError(
      /invalid cron expression/,
    );
    expect(() => scheduler.add({ name: 'y', run: async () => {} })).toThrowError(/exactly one of cron or intervalMs/);
    scheduler.add({ name: 'nightly', cron: '0 2 * * *', run: async () => {} });
    expect(scheduler.nextRun('nightly')!.getMinutes()).toBe(0);
  });

  it('records failures without stopping, and stop() aborts a task that overruns', async () => {
    const runs: TaskRun[] = [];
    const scheduler = new Scheduler({ onRun: (r) => runs.push(r) });
    let sawAbort = false;
    let stuckStarted = false;
    scheduler.add({ name: 'boom', intervalMs: 60_000, run: async () => Promise.reject(new Error('boom')) });
    scheduler.add({
      name: 'stuck',
      intervalMs: 60_000,
      run: ({ signal }) =>
        new Promise<void>((resolve) => {
          stuckStarted = true;
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve();
          });
        }),
    });
    expect((await scheduler.runNow('boom')).outcome).toBe('failed');
    // Handler attached now: the run settles while the test awaits stop().
    const stuck = scheduler.runNow('stuck').then(
      (r) => r,
      (e: unknown) => e,
    );
    // Stop only once the task really runs (a fixed delay may be too short under load).
    for (let waited = 0; !stuckStarted && waited < 10_000; waited += 5) await sleep(5);
    await scheduler.stop({ timeoutMs: 100 });
    expect(sawAbort).toBe(true);
    expect(await stuck).toMatchObject({ task: 'stuck', outcome: 'completed' });
    expect(runs.map((r) => `${r.task}:${r.outcome}`)).toEqual(['boom:failed', 'stuck:completed']);
  });
});

describe('Scheduler with a leader lock', () => {
  let server: PostgresServer;
  let db: Database;
  beforeAll(async () => {
    server = await startPostgres();
    db = createDatabase((await createTestDatabase(server)).url, { poolMax: 4 });
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });

  it('runs a leaderOnly task on one replica only', async () => {
    const counts = { a: 0, b: 0 };
    const make = (who: 'a' | 'b') => {
      const s = new Scheduler({ leaderLock: new LeaderLock(db, { name: 'scheduler-leader' }) });
      s.add({ name: 'maintenance', intervalMs: 50, leaderOnly: true, run: async () => void counts[who]++ });
      return s;
    };
    const a = make('a');
    const b = make('b');
    a.start();
    b.start();
    // Let several ticks happen (bounded, so a loaded machine slows the test rather than failing it).
    for (let waited = 0; counts.a + counts.b < 6 && waited < 10_000; waited += 50) await sleep(50);
    // Read before stopping: stopping the leader releases the lock, and the other
    // replica may then legitimately take over before it is stopped too.
    const seen = { ...counts };
    await Promise.all([a.stop(), b.stop()]);
    expect(seen.a + seen.b).toBeGreaterThan(3);
    expect(Math.min(seen.a, seen.b)).toBe(0);
  });
});
