import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ServerBinaries {
  binDir: string;
  /** Major version reported by `postgres --version`. */
  major: number;
}

function readMajor(binDir: string): number | undefined {
  try {
    const out = execFileSync(join(binDir, 'postgres'), ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function usable(binDir: string): ServerBinaries | undefined {
  if (!['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(join(binDir, tool)))) return undefined;
  const major = readMajor(binDir);
  return major === undefined ? undefined : { binDir, major };
}

/**
 * Server binaries on this machine. `pg_config` names the build that client
 * tools on PATH belong to, so it is preferred; Debian keeps servers off PATH
 * under /usr/lib/postgresql/<major>/bin, where the newest is taken.
 */
export function findServerBinaries(explicitBinDir?: string): ServerBinaries | undefined {
  if (explicitBinDir) return usable(explicitBinDir);
  const fromEnv = process.env['DBRS_TEST_PG_BINDIR'];
  if (fromEnv) return usable(fromEnv);
  try {
    const binDir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const found = binDir ? usable(binDir) : undefined;
    if (found) return found;
  } catch {
    // no pg_config on PATH
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const found = usable(join(root, major, 'bin'));
    if (found) return found;
  }
  return undefined;
}

/**
 * Whether an extension is installed for these binaries. Needed before the
 * server starts, because shared_preload_libraries must only name libraries
 * that exist or the server refuses to start.
 */
export function hasExtensionFiles(binaries: ServerBinaries, extension: string): boolean {
  const candidates = [
    `/usr/share/postgresql/${binaries.major}/extension`,
    join(dirname(binaries.binDir), 'share', 'postgresql', 'extension'),
    join(dirname(binaries.binDir), 'share', 'extension'),
  ];
  try {
    const sharedir = execFileSync('pg_config', ['--sharedir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const bindir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (bindir === binaries.binDir) candidates.unshift(join(sharedir, 'extension'));
  } catch {
    // no pg_config; the conventional locations above still apply
  }
  return candidates.some((dir) => existsSync(join(dir, `${extension}.control`)));
}
