import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createTestDatabase, type PostgresServer, startPostgres } from '@voicehive/db-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advisoryLockKey, createDatabase, type Database, LeaderLock } from '../src/index.js';

const runSource = resolve(import.meta.dirname, '../../../scripts/run-source.sh');
const racer = resolve(import.meta.dirname, 'fixtures/lock-racer.ts');

let server: PostgresServer;
let url: string;
let db: Database;

beforeAll(async () => {
  server = await startPostgres();
  url = (await createTestDatabase(server)).url;
  db = createDatabase(url, { poolMax: 4 });
});
afterAll(async () => {
  await db?.close();
  await server?.stop();
});

type Racer = { won: boolean; pid: number; child: ChildProcess };

/**
 * Starts a racer that holds whatever it got until killed, and resolves with its report. A fixed hold
 * time could run out before the other racer even starts on a loaded machine, and then both would win.
 */
function race(name: string): Promise<Racer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(runSource, [racer, url, name, '60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((text) => text.startsWith('{'));
      if (line) resolvePromise({ ...(JSON.parse(line) as { won: boolean; pid: number }), child });
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`racer exited ${code} before reporting: ${err}`)));
  });
}

async function stopRacer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('LeaderLock', () => {
  it('two processes race for the lock and exactly one wins', async () => {
    const racing = [race('race-1'), race('race-1')];
    const settled = await Promise.allSettled(racing);
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? stopRacer(r.value.child) : undefined)));
    const results = await Promise.all(racing);
    expect(results.filter((r) => r.won)).toHaveLength(1);
    expect(results.filter((r) => !r.won)).toHaveLength(1);
  }, 30_000);

  it('is freed when the holder closes', async () => {
    const a = new LeaderLock(db, { name: 'close-test' });
    const b = new LeaderLock(db, { name: 'close-test', pollIntervalMs: 20 });
    try {
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire({ timeoutMs: 100 })).toBe(false);
      await a.close();
      expect(await b.acquire({ timeoutMs: 2_000 })).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is freed when the holder backend is terminated, and the holder learns it lost the lock', async () => {
    const a = new LeaderLock(db, { name: 'terminate-test' });
    const b = new LeaderLock(db, { name: 'terminate-test', pollIntervalMs: 20 });
    try {
      expect(await a.acquire()).toBe(true);
      const lost = new Promise<Error>((r) => a.once('lost', r));
      await db.query('SELECT pg_terminate_backend($1)', [a.backendPid]);
      expect(await lost).toBeInstanceOf(Error);
      expect(a.held).toBe(false);
      expect(await b.acquire({ timeoutMs: 2_000 })).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('polls with pg_try_advisory_lock: a waiter never sits in the lock queue', async () => {
    const a = new LeaderLock(db, { name: 'queue-test' });
    const b = new LeaderLock(db, { name: 'queue-test', pollIntervalMs: 20 });
    try {
      await a.acquire();
      const waiting = b.acquire({ timeoutMs: 600 });
      await new Promise((r) => setTimeout(r, 200));
      // A blocking pg_advisory_lock would show up as an ungranted advisory lock.
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      expect(rows[0]!.n).toBe(0);
      expect(await waiting).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('gives up when aborted, and runExclusive reports whether it ran', async () => {
    const a = new LeaderLock(db, { name: 'abort-test' });
    const b = new LeaderLock(db, { name: 'abort-test', pollIntervalMs: 20 });
    try {
      await a.acquire();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(b.acquire({ timeoutMs: 10_000, signal: controller.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      });
      expect(await b.runExclusive(async () => 1)).toEqual({ ran: false });
      await a.release();
      expect(await b.runExclusive(async () => 42)).toEqual({ ran: true, value: 42 });
      expect(b.held).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('derives a stable 64-bit key per name', () => {
    expect(advisoryLockKey('backup:hotels')).toBe(advisoryLockKey('backup:hotels'));
    expect(advisoryLockKey('backup:hotels')).not.toBe(advisoryLockKey('backup:guests'));
    expect(BigInt(advisoryLockKey('x'))).toBeLessThan(2n ** 63n);
  });
});
