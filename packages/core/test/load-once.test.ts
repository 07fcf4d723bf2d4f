import { describe, expect, it } from 'vitest';
import { loadOnce } from '../src/internal.js';

describe('loadOnce', () => {
  it('runs the load once for concurrent and later callers', async () => {
    let runs = 0;
    const load = loadOnce(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
      return runs;
    });
    const [a, b] = await Promise.all([load(), load()]);
    expect([a, b, await load()]).toEqual([1, 1, 1]);
    expect(runs).toBe(1);
  });

  it('forgets a failed load, so the next call tries again', async () => {
    let runs = 0;
    const load = loadOnce(async () => {
      runs++;
      if (runs === 1) throw new Error('WASM file unreadable');
      return 'parser';
    });
    await expect(load()).rejects.toThrow('WASM file unreadable');
    await expect(load()).resolves.toBe('parser');
    expect(runs).toBe(2);
  });
});
