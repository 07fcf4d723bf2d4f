import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from '@voicehive/db-core';

/** One process from /proc: its parent and command name (what `ps -o ppid,comm` shows). */
interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces; the fields after the last ')' are fixed.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(' ');
    return { pid, ppid: Number(ppid), comm, state: state ?? '?' };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (default this process), zombies included: a zombie is a child nobody reaped. */
export function descendants(root = process.pid): Proc[] {
  const all: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.push(p);
  }
  const out: Proc[] = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** Whether a pid still exists (running or an unreaped zombie). */
export function exists(pid: number): boolean {
  return readProc(pid) !== undefined;
}

/**
 * Records every descendant process with one of `names` while an operation
 * runs (polling /proc), so a test can check afterwards, by PID, that each one
 * is gone: killed and reaped, not merely signalled.
 */
export function watchChildren(names: string[], root = process.pid): { stop(): Map<number, string> } {
  const seen = new Map<number, string>();
  const sample = () => {
    for (const p of descendants(root)) if (names.includes(p.comm)) seen.set(p.pid, p.comm);
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return seen;
    },
  };
}

/** The pids among `pids` that still exist, with their names. */
export function stillThere(pids: Map<number, string>): string[] {
  return [...pids].filter(([pid]) => exists(pid)).map(([pid, comm]) => `${comm}[${pid}] ${readProc(pid)?.state ?? ''}`);
}

/** Application names the backup package's sessions use (tools via PGAPPNAME, the leader lock, cancel connections). */
export const BACKUP_SESSION_PATTERN =
  "application_name LIKE 'voicehive-dbrs-%' OR application_name IN ('pg_dump','pg_restore','psql','pg_basebackup')";

/** Sessions on the server whose application_name says the suite or one of its tools opened them. */
export async function backupSessions(observer: Database): Promise<string[]> {
  const res = await observer.query<{ s: string }>(
    `SELECT application_name || ' ' || coalesce(datname, '') || ' ' || state AS s FROM pg_stat_activity
      WHERE pid <> pg_backend_pid() AND (${BACKUP_SESSION_PATTERN})`,
  );
  return res.rows.map((r) => r.s);
}

/** Polls `check` until it returns true or `timeoutMs` passes (a bound against hangs, not a speed requirement). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    // A check that throws (a connection the restart just killed) counts as "not yet".
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
