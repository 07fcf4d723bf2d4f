import { isDbrsError } from '@voicehive/db-core';
import { describe, expect, it } from 'vitest';
import { withClient } from '../internal/pg-client.js';
import { settle } from '../leaks.js';

/**
 * The lifecycle contract every resource owner keeps (the lifecycle rule in packages/core/README.md): the
 * four managers, the suite, LeaderLock, Scheduler, storage adapters. One
 * suite, run against each of them, so they cannot drift apart again.
 */
export interface ResourceOwnerTarget<T> {
  /** Names the describe block. */
  name: string;
  /** A fresh owner for each case. */
  create(): Promise<T> | T;
  /** One real operation (it needs the database or the resource). Gets the caller's signal. */
  operate(owner: T, signal: AbortSignal | undefined): Promise<unknown>;
  /** `initialize({ signal })` where the owner has one; the contract then checks it is idempotent. */
  initialize?(owner: T, signal?: AbortSignal): Promise<unknown>;
  /**
   * Makes the next `operate` wait (e.g. holds a lock it needs) until the
   * returned release is called; enables the abort-during case, which is then
   * deterministic instead of racing a fast operation.
   */
  block?(): Promise<() => Promise<void>>;
  /**
   * The operation the abort-during case aborts, when it is not `operate` (e.g. a backup, where `operate` is a
   * cheap listing that never touches the blocked resource). Must reject with ABORTED when aborted.
   */
  abortable?(owner: T, signal: AbortSignal): Promise<unknown>;
  /**
   * True once the operation waits at the blocked step (e.g. a session of the owner waits on the held lock).
   * The abort-during case polls it and aborts only then, so the abort lands mid-operation and not before
   * it started or after it gave up; without it the case waits a fixed 1.5 s.
   */
  reached?(): Promise<boolean>;
  /**
   * The owner's database, given as a URL to it: its sessions (pg_stat_activity
   * by datname, so other test files on the shared server do not count) must
   * all be gone after an aborted operation and after close().
   */
  sessionsOf?(): string;
  /**
   * What an aborted operation or a closed owner must not leave behind besides sessions (a storage adapter's
   * visible objects and temporary files under the contract's keys): checked to be empty like the sessions.
   */
  leftovers?(): Promise<unknown[]>;
}

async function closeOf(owner: unknown): Promise<void> {
  await (owner as { close(): Promise<void> }).close();
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => undefined,
    (err: unknown) => err,
  );
}

// Long: the contract's cases, one `it` each.
export function describeResourceOwnerContract<T>(target: ResourceOwnerTarget<T>): void {
  const noLeakedSessions = async () => {
    if (target.leftovers) expect(await target.leftovers(), 'left behind').toEqual([]);
    if (!target.sessionsOf) return;
    const url = target.sessionsOf();
    const left = await settle(
      () => sessionsOnDatabase(url),
      (rows) => rows.length === 0,
    );
    expect(left, 'sessions left behind').toEqual([]);
  };

  // Long: the contract's cases, one `it` each.
  describe(`resource owner contract: ${target.name}`, () => {
    if (target.initialize) {
      const initialize = target.initialize;
      it('initialize() is optional and idempotent (twice, and concurrently)', async () => {
        const owner = await target.create();
        try {
          const [first, second] = await Promise.all([initialize(owner), initialize(owner)]);
          // One shared run: an owner whose initialize resolves to an object (the optimizer's capabilities)
          // hands both callers the same one; two runs would each build their own.
          expect(second).toBe(first);
          await initialize(owner);
          await target.operate(owner, undefined);
        } finally {
          await closeOf(owner);
        }
        const fresh = await target.create();
        try {
          // Methods initialise on first use: no initialize() call at all.
          await target.operate(fresh, undefined);
        } finally {
          await closeOf(fresh);
        }
      });
    }

    it('close() twice is fine; use after close is CLOSED; nothing outlives close', async () => {
      const owner = await target.create();
      await target.operate(owner, undefined);
      await Promise.all([closeOf(owner), closeOf(owner)]);
      await closeOf(owner);
      const err = await rejection(target.operate(owner, undefined));
      expect(isDbrsError(err, 'CLOSED'), `expected CLOSED, got ${String(err)}`).toBe(true);
      await noLeakedSessions();
    });

    it('await using closes the owner at the end of the block', async () => {
      let kept: T | undefined;
      {
        const owner = await target.create();
        await using _disposer = owner as unknown as AsyncDisposable;
        kept = owner;
        await target.operate(owner, undefined);
      }
      const err = await rejection(target.operate(kept as T, undefined));
      expect(isDbrsError(err, 'CLOSED'), `expected CLOSED, got ${String(err)}`).toBe(true);
    });

    it('an operation with an already-aborted signal fails with ABORTED and leaves nothing behind', async () => {
      const owner = await target.create();
      try {
        const err = await rejection(target.operate(owner, AbortSignal.abort()));
        expect(isDbrsError(err, 'ABORTED'), `expected ABORTED, got ${String(err)}`).toBe(true);
      } finally {
        await closeOf(owner);
      }
      await noLeakedSessions();
    });

    if (target.block) {
      const block = target.block;
      it('an abort during an operation ends it with ABORTED and leaks no connection', async () => {
        const owner = await target.create();
        const release = await block();
        try {
          const controller = new AbortController();
          const operation = target.abortable ?? target.operate;
          const running = rejection(operation(owner, controller.signal));
          if (target.reached) {
            const reached = target.reached;
            const at = await settle(reached, (yes) => yes, { timeoutMs: 60_000 });
            expect(at, 'the operation never reached the blocked step').toBe(true);
          } else {
            // Long enough for the operation to reach the blocked step on a loaded machine.
            await new Promise((r) => setTimeout(r, 1_500));
          }
          controller.abort();
          // Bounded, so an abort that is not honoured fails here and the finally still releases the blocker.
          const err = await Promise.race([
            running,
            new Promise((r) => setTimeout(() => r(new Error('still running 60 s after the abort')), 60_000).unref()),
          ]);
          expect(isDbrsError(err, 'ABORTED'), `expected ABORTED, got ${String(err)}`).toBe(true);
        } finally {
          await release();
          await closeOf(owner);
        }
        await noLeakedSessions();
      }, 150_000);
    }
  });
}

/**
 * True while a session of the URL's database waits on a heavyweight lock (with `applicationName`: a session
 * of that name): the probe `reached` uses for owners blocked by a held table lock.
 */
export async function sessionWaitsOnLock(url: string, applicationName?: string): Promise<boolean> {
  return withClient(url, async (client) => {
    const res = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
          AND ($1::text IS NULL OR application_name = $1)`,
      [applicationName ?? null],
    );
    return (res.rows[0]?.n ?? 0) > 0;
  });
}

/** Other sessions connected to the URL's database, as "application_name (state)". */
async function sessionsOnDatabase(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const res = await client.query<{ s: string }>(
      `SELECT application_name || ' (' || coalesce(state, '?') || ')' AS s FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY 1`,
    );
    return res.rows.map((r) => r.s);
  });
}
