import { execFileSync } from 'node:child_process';

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

let cached: ServiceUser | null | undefined;

/**
 * initdb, postgres and pgbouncer refuse to run as root. When we are root the
 * child processes run as the `postgres` OS user (spawn's uid/gid, so no PAM
 * or su involved); otherwise they run as whoever we are. Returns undefined
 * when no switch is needed and throws when one is needed but impossible.
 */
export function serviceUser(): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (cached === undefined) {
    try {
      const uid = Number(
        execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
      );
      const gid = Number(
        execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
      );
      cached = Number.isInteger(uid) && Number.isInteger(gid) ? { name: 'postgres', uid, gid } : null;
    } catch {
      cached = null;
    }
  }
  if (cached === null) {
    throw new Error(
      'Running as root, but there is no "postgres" OS user to run PostgreSQL/pgBouncer as. Install the postgresql package (it creates the user) or run the tests as a normal user.',
    );
  }
  return cached;
}

/** spawn() options that make the child run as the service user. */
export function asServiceUser(): { uid?: number; gid?: number } {
  const user = serviceUser();
  return user ? { uid: user.uid, gid: user.gid } : {};
}
