import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Flags of `wal push` that take a value (skipped over when looking for the path). */
const VALUED = new Set(['--spool-dir', '--key-cache', '--timeout', '--jobs', '--config', '--url']);

/**
 * `dbrs wal push <path> --async --spool-dir DIR` for a segment the background
 * worker has already stored (`DIR/<name>.ok`, next to PostgreSQL's `.ready`
 * mark, and naming this very file): true, and the process exits 0 without loading the wal bundle or the
 * configuration; on a busy server the worker runs ahead of the archiver, so
 * this is most commands. Only when both flags are on the command line: then
 * the spool is exactly the one the full command would read (the flag wins
 * over the configuration), and `.ok` means the same as there (written after
 * the object was stored). Anything else, including a malformed command, is
 * left to the full command.
 */
export function alreadyPushedAsync(argv: readonly string[], cwd: string): boolean {
  if (argv[0] !== 'wal' || argv[1] !== 'push' || !argv.includes('--async')) return false;
  let path: string | undefined;
  let spool: string | undefined;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--async') continue;
    if (VALUED.has(a)) {
      if (a === '--spool-dir') spool = argv[i + 1];
      i++;
      continue;
    }
    if (a.startsWith('-') || path !== undefined) return false;
    path = a;
  }
  if (!path || !spool) return false;
  const name = basename(path);
  if (!/^[0-9A-F]{24}$/.test(name)) return false;
  const walDir = resolve(cwd, dirname(path));
  if (!existsSync(join(walDir, 'archive_status', `${name}.ready`))) return false;
  return okNamesFile(join(resolve(cwd, spool), `${name}.ok`), resolve(cwd, path));
}

/**
 * True when `ok` records exactly the file at `path` (the worker's line
 * `source <dev>:<ino>:<size>:<mtimeNs>`, backup/src/wal/push-identity.ts,
 * rebuilt here so this path loads nothing; wal-push-fast.test writes the
 * worker's line and checks they agree). A `.ok` for other content under
 * this name (an old cluster's spool) is deleted: the full command then has
 * the worker push the file, and the archive's conflict check decides.
 */
function okNamesFile(ok: string, path: string): boolean {
  const text = (() => {
    try {
      return readFileSync(ok, 'utf8');
    } catch {
      return undefined;
    }
  })();
  if (text === undefined) return false;
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  const id = s && `source ${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  if (id && text.split('\n').some((line) => line.trim() === id)) return true;
  rmSync(ok, { force: true });
  return false;
}
