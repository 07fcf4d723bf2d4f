import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user cache directory of `dbrs` ($XDG_CACHE_HOME/dbrs,
 * ~/.cache/dbrs, else <tmp>/dbrs-<uid>): where `wal push|fetch` keep what
 * PostgreSQL would otherwise make them redo once per WAL file.
 */
export function userCacheDir(env: NodeJS.ProcessEnv): string {
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'dbrs');
  if (env['HOME']) return join(env['HOME'], '.cache', 'dbrs');
  return join(tmpdir(), `dbrs-${process.getuid?.() ?? 'user'}`);
}

/**
 * `dir`, created 0700 if missing, when it is a real directory owned by this
 * OS user that no one else may read or write; undefined otherwise (the
 * caller then works without its cache).
 */
export function privateDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}
