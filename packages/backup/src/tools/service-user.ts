import { execFile, execFileSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { DbrsError } from '@voicehive/db-core';

const execFileAsync = promisify(execFile);

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

let cached: ServiceUser | null | undefined;

/**
 * The PostgreSQL server refuses to run as root. When we are root, the
 * scratch server for a physical restore test runs as the `postgres` OS user
 * (spawn's uid/gid: no su or PAM); otherwise as whoever we are (undefined).
 */
export function serviceUser(name = 'postgres'): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (cached === undefined) {
    try {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      const uid = id('-u');
      const gid = id('-g');
      cached = Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : null;
    } catch {
      cached = null;
    }
  }
  if (cached === null) {
    throw new DbrsError(
      'UNSUPPORTED',
      `Running as root, but there is no "${name}" OS user to run the scratch PostgreSQL server as.`,
      { hint: 'Install the postgresql server package (it creates the user) or run the verification as a normal user.' },
    );
  }
  return cached;
}

/** Hands a directory tree to the service user (no-op when not root). */
export async function chownToServiceUser(dir: string): Promise<void> {
  const user = serviceUser();
  if (!user) return;
  await execFileAsync('chown', ['-R', `${user.uid}:${user.gid}`, dir], { timeout: 600_000 });
}

/**
 * Fails early, with the fix, when the service user could not reach `dir`
 * (e.g. a 0700 directory of root's): the server would only say "Permission denied".
 */
export async function assertServiceUserCanReach(dir: string): Promise<void> {
  const user = serviceUser();
  if (!user) return;
  for (let d = dir; ; d = dirname(d)) {
    const st = await stat(d);
    const x = st.uid === user.uid ? st.mode & 0o100 : st.gid === user.gid ? st.mode & 0o010 : st.mode & 0o001;
    if (!x) {
      throw new DbrsError(
        'CONFIG_INVALID',
        `The scratch server runs as the "${user.name}" OS user, which cannot enter ${d} (on the way to tempDir ${dir}).`,
        { hint: 'Set tempDir to a directory every user can traverse (e.g. /tmp or /var/tmp).' },
      );
    }
    if (d === dirname(d)) return;
  }
}
