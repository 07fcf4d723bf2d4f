import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceUser } from './service-user.js';

/**
 * A fresh directory under the OS temp dir. With `forServiceUser` it is handed
 * to the `postgres` OS user when we are root, because PostgreSQL and
 * pgBouncer must be able to write (and pgBouncer read) there after dropping
 * privileges.
 */
export async function makeTempDir(prefix: string, options: { forServiceUser?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `dbrs-${prefix}-`));
  if (options.forServiceUser) {
    const user = serviceUser();
    if (user) await chown(dir, user.uid, user.gid);
  }
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
