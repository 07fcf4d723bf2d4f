import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { withClient } from './internal/pg-client.js';

/**
 * What fault tests assert after every fault: no child process and no server
 * session outlives the operation. Processes are read from /proc (Linux), so
 * a grandchild (zstd under a shell, pg_dump under the CLI) counts too.
 */

/** PIDs of every live descendant of `rootPid` (children, their children, …), zombies excluded. */
export function descendantPids(rootPid: number = process.pid): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // `pid (comm) state ppid …`; comm may contain spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const frontier = [rootPid];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        out.push(pid);
        frontier.push(pid);
      }
    }
  }
  return out.sort((a, b) => a - b);
}

/** Whether a process is still alive (and not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Server sessions per application_name starting with `prefix` (default every
 * session of the suite, `voicehive-dbrs…`), read from a fresh superuser
 * connection that is not itself counted.
 */
export async function sessionsByApplication(url: string, prefix = 'voicehive-dbrs'): Promise<Record<string, number>> {
  const rows = await withClient(url, async (client) => {
    const res = await client.query<{ application_name: string; n: number }>(
      `SELECT application_name, count(*)::int AS n FROM pg_stat_activity
        WHERE pid <> pg_backend_pid() AND starts_with(application_name, $1)
        GROUP BY application_name ORDER BY application_name`,
      [prefix],
    );
    return res.rows;
  });
  return Object.fromEntries(rows.map((r) => [r.application_name, r.n]));
}

/**
 * Reads until `done(value)` or until `timeoutMs` passes, and resolves to the
 * last value either way, so the assertion shows what was left. Sessions and
 * children end asynchronously after their owner lets go, so one immediate
 * read would be racy.
 */
export async function settle<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(options.intervalMs ?? 100);
  }
}

/** Waits (up to `timeoutMs`) for the suite's sessions on `url` to drop to `baseline`; resolves to what is left. */
export function settleSessions(
  url: string,
  baseline: Record<string, number> = {},
  options: { prefix?: string; timeoutMs?: number } = {},
): Promise<Record<string, number>> {
  return settle(
    () => sessionsByApplication(url, options.prefix),
    (now) => Object.entries(now).every(([app, n]) => n <= (baseline[app] ?? 0)),
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
}

/** Waits (up to `timeoutMs`) until `rootPid` has no live descendants besides `allowed`; resolves to those left. */
export function settleChildren(
  rootPid: number = process.pid,
  options: { allowed?: number[]; timeoutMs?: number } = {},
): Promise<number[]> {
  const allowed = new Set(options.allowed ?? []);
  return settle(
    () => descendantPids(rootPid).filter((pid) => !allowed.has(pid)),
    (left) => left.length === 0,
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
}
