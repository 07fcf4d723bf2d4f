import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

/**
 * Servers started for tests must not outlive the test process, however it
 * ends. An 'exit' handler covers normal exits and uncaught errors; it cannot
 * run on SIGKILL or on an unhandled SIGTERM (how test runners usually end a
 * stuck worker). For those a detached `sh` watches our end of a pipe: when the
 * pipe closes — which the kernel does whenever this process dies — it stops
 * what is still registered and removes the directories.
 */
const WATCHDOG = `
pids=""; dirs=""
drop() { r=""; for x in $1; do [ "$x" = "$2" ] || r="$r $x"; done; printf '%s' "$r"; }
while read -r cmd arg; do
  case "$cmd" in
    pid) pids="$pids $arg" ;;
    unpid) pids=$(drop "$pids" "$arg") ;;
    dir) dirs="$dirs $arg" ;;
    undir) dirs=$(drop "$dirs" "$arg") ;;
  esac
done
for e in $pids; do kill -s "\${e%%:*}" "\${e#*:}" 2>/dev/null; done
i=0
while [ $i -lt 100 ]; do
  alive=""
  for e in $pids; do kill -0 "\${e#*:}" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.1; i=$((i+1))
done
for e in $pids; do kill -s KILL "\${e#*:}" 2>/dev/null; done
for d in $dirs; do rm -rf -- "$d"; done
`;

interface Entry {
  pid?: number;
  signal: NodeJS.Signals;
  dir?: string;
}

const entries = new Set<Entry>();
let watchdog: ChildProcess | undefined;
let watchdogFailed = false;
let exitHookInstalled = false;

function send(line: string): void {
  if (watchdogFailed) return;
  if (!watchdog) {
    try {
      watchdog = spawn('/bin/sh', ['-c', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      watchdog.on('error', () => {
        watchdogFailed = true;
      });
      watchdog.stdin?.on('error', () => {
        watchdogFailed = true;
      });
      // Neither the watchdog nor its pipe may keep a finished test process alive.
      watchdog.unref();
      (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    } catch {
      watchdogFailed = true;
      return;
    }
  }
  watchdog.stdin?.write(`${line}\n`);
}

// Whitespace would split the watchdog's word lists; such paths are only cleaned by the exit hook.
const safe = (text: string): boolean => !/\s/.test(text);

function onExit(): void {
  for (const entry of entries) {
    if (entry.pid !== undefined) {
      try {
        process.kill(entry.pid, entry.signal);
      } catch {
        // already gone
      }
    }
    // Removing a directory under a server that is still shutting down races
    // with it; the watchdog waits for the processes first.
    if (entry.dir !== undefined && (watchdogFailed || !safe(entry.dir)) && entry.pid === undefined) {
      rmSync(entry.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Registers a process to signal and/or a directory to delete if this process
 * dies before the returned function is called.
 */
export function reapOnExit(target: { pid?: number; signal?: NodeJS.Signals; dir?: string }): () => void {
  if (!exitHookInstalled) {
    process.on('exit', onExit);
    exitHookInstalled = true;
  }
  const entry: Entry = { signal: target.signal ?? 'SIGTERM' };
  if (target.pid !== undefined) entry.pid = target.pid;
  if (target.dir !== undefined) entry.dir = target.dir;
  entries.add(entry);
  const pidToken = entry.pid === undefined ? undefined : `${entry.signal.replace(/^SIG/, '')}:${entry.pid}`;
  if (pidToken) send(`pid ${pidToken}`);
  if (entry.dir !== undefined && safe(entry.dir)) send(`dir ${entry.dir}`);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    entries.delete(entry);
    if (pidToken) send(`unpid ${pidToken}`);
    if (entry.dir !== undefined && safe(entry.dir)) send(`undir ${entry.dir}`);
  };
}
