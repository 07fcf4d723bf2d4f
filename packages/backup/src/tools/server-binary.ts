import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { DbrsError } from '@voicehive/db-core';
import { isExecutable } from '@voicehive/db-core/internal';
import { parseToolVersion } from './pg-tools.js';

const execFileAsync = promisify(execFile);

async function pgConfigBinDir(): Promise<string | undefined> {
  try {
    return (await execFileAsync('pg_config', ['--bindir'], { timeout: 10_000 })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `postgres` server binary of exactly `major` (a data directory only
 * starts under its own major). Looked up in: `explicit`, `binDir`, the
 * Debian `/usr/lib/postgresql/<major>/bin`, `pg_config --bindir`, PATH; the
 * first whose `--version` has the right major wins.
 */
export async function locateServerBinary(
  major: number,
  options: { explicit?: string; binDir?: string } = {},
): Promise<string> {
  const candidates: string[] = [];
  if (options.explicit) candidates.push(options.explicit);
  if (options.binDir) candidates.push(join(options.binDir, 'postgres'));
  candidates.push(`/usr/lib/postgresql/${major}/bin/postgres`);
  const fromPgConfig = await pgConfigBinDir();
  if (fromPgConfig) candidates.push(join(fromPgConfig, 'postgres'));
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'postgres'));
  const seen: string[] = [];
  for (const path of new Set(candidates)) {
    if (!isExecutable(path)) continue;
    let out = '';
    try {
      out = (await execFileAsync(path, ['--version'], { timeout: 10_000 })).stdout;
    } catch {
      continue;
    }
    const v = parseToolVersion(out);
    if (v?.major === major) return path;
    seen.push(`${path} (${v?.major ?? '?'})`);
  }
  throw new DbrsError(
    seen.length ? 'TOOL_VERSION_MISMATCH' : 'TOOL_MISSING',
    `No PostgreSQL ${major} server binary found to start the restored physical backup${seen.length ? `; found only ${seen.join(', ')}` : ''} (looked in ${[...new Set(candidates)].slice(0, 4).join(', ')}, PATH).`,
    {
      hint: `Install the PostgreSQL ${major} server (Debian: postgresql-${major}) or set toolPaths.postgres / binDir.`,
      details: { major },
    },
  );
}
