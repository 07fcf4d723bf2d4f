import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `path` exists and this process may execute it. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first executable among `candidates` (absolute paths, tried in order),
 * then `name` in each directory of `pathEnv` (default: this process's PATH).
 * One lookup for every external tool the suite runs (pg_dump, postgres,
 * zstd, pgbouncer), so they all search the same way.
 */
export function findExecutable(
  name: string,
  options: { candidates?: readonly (string | undefined)[]; pathEnv?: string; searchPath?: boolean } = {},
): string | undefined {
  for (const candidate of options.candidates ?? []) if (candidate && isExecutable(candidate)) return candidate;
  if (options.searchPath === false) return undefined;
  for (const dir of (options.pathEnv ?? process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}
