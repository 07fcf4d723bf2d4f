import { readFile } from 'node:fs/promises';

/**
 * A process as a record can name it later: its pid plus what tells it apart
 * from a later process given the same pid — its start time
 * (`/proc/<pid>/stat` field 22, clock ticks since boot) and the boot id.
 * Both are undefined without Linux's /proc.
 */
export interface ProcessIdentity {
  pid: number;
  start?: string;
  boot?: string;
}

/** True while process `pid` exists (EPERM: it exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The identity of process `pid` now. */
export async function processIdentity(pid: number): Promise<ProcessIdentity> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Fields after the command name (which may hold spaces and parentheses): the 3rd field comes first, so 22 is [19].
  const start = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => undefined))?.trim();
  return { pid, ...(start ? { start } : {}), ...(boot ? { boot } : {}) };
}

/**
 * True while the process a record names is still that process: its pid
 * exists with the recorded start time and boot id. A record that outlived a
 * crash or a reboot can name a pid some unrelated process has since been
 * given; that is not the recorded process.
 */
export async function stillRunning(recorded: ProcessIdentity): Promise<boolean> {
  if (!processAlive(recorded.pid)) return false;
  const now = await processIdentity(recorded.pid);
  return now.start === recorded.start && now.boot === recorded.boot;
}
