import type { CommandSpec } from './index.js';
import { lazy } from './lazy.js';
import { WAL_FETCH_EXIT } from './wal-exit.js';

export interface WalCommandSpec extends CommandSpec {
  usage: string;
  maxArgs: number;
  options: Record<string, { type: 'string' | 'boolean' }>;
  /** Exit code for errors before the command ran (bad flags): wal fetch must say "fatal", not "missing". */
  fatalExit?: number;
}

const wal = () => import('./wal.js');
const pushAsync = () => import('./wal-push-async.js');

/**
 * The commands PostgreSQL runs once per WAL file. Listed in the full CLI
 * (./features.ts) and served by the lean entry (../wal-main.ts, which
 * src/cli.ts picks for them); this table imports nothing heavy itself.
 */
export const WAL_HOT_COMMANDS: Record<string, WalCommandSpec> = {
  'wal push': {
    summary: "Archive one WAL file to the backup storage (archive_command = 'dbrs wal push %p').",
    usage: '<path> [--key-cache DIR|off] [--async [--spool-dir DIR] [--timeout SECONDS] [--jobs N]]',
    maxArgs: 1,
    options: {
      'key-cache': { type: 'string' },
      async: { type: 'boolean' },
      'spool-dir': { type: 'string' },
      timeout: { type: 'string' },
      jobs: { type: 'string' },
    },
    run: lazy(wal, 'walPush'),
  },
  'wal push-worker': {
    summary:
      'The background worker of `wal push --async` (started by it): pushes every WAL file PostgreSQL marked ready, writing <name>.ok / <name>.error into --spool-dir; exits after --idle (10) seconds with nothing to do.',
    usage: '<pg_wal> --spool-dir DIR [--jobs N] [--idle SECONDS]',
    maxArgs: 1,
    options: {
      'key-cache': { type: 'string' },
      'spool-dir': { type: 'string' },
      jobs: { type: 'string' },
      idle: { type: 'string' },
    },
    run: lazy(pushAsync, 'walPushWorker'),
  },
  'wal fetch': {
    summary:
      "Restore one archived WAL file (restore_command = 'dbrs wal fetch %f %p'): exit 1 when it is not archived, 255 on any other error (recovery stops); prefetches the next --prefetch (8) segments into --spool-dir.",
    usage: '<name> <dest>',
    maxArgs: 2,
    options: { prefetch: { type: 'string' }, 'spool-dir': { type: 'string' }, 'key-cache': { type: 'string' } },
    fatalExit: WAL_FETCH_EXIT.FATAL,
    run: lazy(wal, 'walFetch'),
  },
  'wal prefetch': {
    summary: 'Download the segments after <name> into --spool-dir (wal fetch starts it in the background).',
    usage: '<name>',
    maxArgs: 1,
    options: { prefetch: { type: 'string' }, 'spool-dir': { type: 'string' }, 'key-cache': { type: 'string' } },
    run: lazy(wal, 'walPrefetch'),
  },
};

/** True when argv is one of the per-WAL-file commands src/cli.ts sends to the lean entry. */
export function isWalHotPath(argv: readonly string[]): boolean {
  return argv[0] === 'wal' && `wal ${argv[1]}` in WAL_HOT_COMMANDS;
}
