import { describe, expect, it } from 'vitest';
import { isDbrsError, Lifecycle, withTimeout } from '../src/index.js';

function counter() {
  let runs = 0;
  let fail = 0;
  let disposed = 0;
  const life = new Lifecycle<number>({
    name: 'test owner',
    async init(signal) {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      if (signal?.aborted) throw new Error('aborted');
      if (fail > 0) {
        fail--;
        throw new Error('database down');
      }
      return runs;
    },
    async dispose() {
      disposed++;
    },
  });
  return {
    life,
    get runs() {
      return runs;
    },
    get disposed() {
      return disposed;
    },
    failNext(n: number) {
      fail = n;
    },
  };
}

describe('Lifecycle (the kit every resource owner shares)', () => {
  it('initialises once for concurrent callers and remembers success', async () => {
    const c = counter();
    const results = await Promise.all([c.life.initialize(), c.life.ready(), c.life.initialize()]);
    expect(results).toEqual([1, 1, 1]);
    await c.life.ready();
    expect(c.runs).toBe(1);
  });

  it('retries after a failed initialisation', async () => {
    const c = counter();
    c.failNext(1);
    await expect(c.life.initialize()).rejects.toThrow('database down');
    await expect(c.life.initialize()).resolves.toBe(2);
    expect(c.runs).toBe(2);
  });

  it('close() twice is fine, disposes once, and use after close is CLOSED', async () => {
    const c = counter();
    await c.life.ready();
    await Promise.all([c.life.close(), c.life.close()]);
    await c.life.close();
    expect(c.disposed).toBe(1);
    expect(c.life.closed).toBe(true);
    const err = await c.life.ready().catch((e: unknown) => e);
    expect(isDbrsError(err, 'CLOSED')).toBe(true);
    expect(() => c.life.assertOpen()).toThrow(/test owner is closed/);
  });

  it('close() waits for an initialisation in flight, so nothing it opens outlives close', async () => {
    const c = counter();
    const pending = c.life.initialize();
    await c.life.close();
    await expect(pending).resolves.toBe(1);
    expect(c.disposed).toBe(1);
  });

  it('an aborted signal stops the caller: before (init never runs) and during (the wait ends at once)', async () => {
    const c = counter();
    const before = await c.life.initialize({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isDbrsError(before, 'ABORTED')).toBe(true);
    expect(c.runs).toBe(0);
    const controller = new AbortController();
    const during = c.life.initialize({ signal: controller.signal });
    controller.abort();
    expect(isDbrsError(await during.catch((e: unknown) => e), 'ABORTED')).toBe(true);
    // The run belonged to the aborted caller, so it failed and the next call starts again.
    await expect(c.life.initialize()).resolves.toBe(2);
  });

  it('ready(signal, what) names the caller’s operation in ABORTED; CLOSED still wins over ABORTED', async () => {
    const c = counter();
    await c.life.ready();
    const aborted = await c.life.ready(AbortSignal.abort(), 'migration run').catch((e: unknown) => e);
    expect(isDbrsError(aborted, 'ABORTED')).toBe(true);
    expect((aborted as Error).message).toBe('The migration run was aborted.');
    await c.life.close();
    const closed = await c.life.ready(AbortSignal.abort(), 'migration run').catch((e: unknown) => e);
    expect(isDbrsError(closed, 'CLOSED')).toBe(true);
  });
});

describe('withTimeout', () => {
  it('an already-aborted caller signal fails at once without starting the work', async () => {
    let started = false;
    const err = await withTimeout({ what: 'Work', timeoutMs: 10_000, signal: AbortSignal.abort() }, async () => {
      started = true;
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'ABORTED')).toBe(true);
    expect(started).toBe(false);
  });

  it('rejects at the deadline even when the work ignores its signal, and aborts that signal', async () => {
    let seen: AbortSignal | undefined;
    const err = await withTimeout({ what: 'Hung work', timeoutMs: 30 }, (signal) => {
      seen = signal;
      return new Promise(() => {});
    }).catch((e: unknown) => e);
    expect(isDbrsError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toMatch(/Hung work took longer than 30 ms/);
    expect(seen?.aborted).toBe(true);
  });

  it('a caller abort during the work rejects at once and reaches the work', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const running = withTimeout({ what: 'Work', timeoutMs: 10_000, signal: controller.signal }, (signal) => {
      seen = signal;
      return new Promise(() => {});
    });
    controller.abort();
    expect(isDbrsError(await running.catch((e: unknown) => e), 'ABORTED')).toBe(true);
    expect(seen?.aborted).toBe(true);
  });

  it('returns the work’s value', async () => {
    await expect(withTimeout({ what: 'Work', timeoutMs: 1_000 }, async () => 42)).resolves.toBe(42);
  });
});
