import type { ChildProcess } from 'node:child_process';

/**
 * Returns a `stop()` for a child process: SIGKILL if it still runs, then
 * resolve once it is reaped. Safe to call twice, and a no-op for a child
 * that never started.
 *
 * Why the pipes are destroyed first: Node reports a child closed only once
 * every one of its pipes closed, and a pipe whose reader gave up (a destroyed
 * consumer unpipes and pauses it) with output still unread never reads its
 * end-of-file. Waiting for 'close' then hangs for ever. CI found it: pg_dump
 * killed, zstd's last frame unread, the backup never returned and held its lock.
 * stderr is left alone: it always flows (it is captured for the error text).
 */
export function reaper(child: ChildProcess): () => Promise<void> {
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return async () => {
    if (child.pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdout?.destroy();
    child.stdin?.destroy();
    await closed;
  };
}
