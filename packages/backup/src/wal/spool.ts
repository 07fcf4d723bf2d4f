import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDbrsError, type Logger, silentLogger } from '@voicehive/db-core';
import type { WalArchive } from './archive.js';

export interface WalSpoolOptions {
  archive: WalArchive;
  /** Local directory for prefetched files (created). */
  dir: string;
  logger?: Logger;
  /** Files in the spool older than this are stale and removed, in ms. Default 10 minutes. */
  staleMs?: number;
  /** How long take() waits for a download another process is running, in ms. Default 30 s. */
  waitMs?: number;
}

/**
 * Prefetch spool for restore_command: recovery asks for one WAL file at a
 * time and waits for each, so the next ones are downloaded in parallel into
 * a local directory ahead of the request. A download lands under a
 * temporary name and is renamed into place whole; `<name>.lock` (created
 * exclusively) tells other processes one is under way.
 */
export class WalSpool {
  readonly dir: string;
  readonly #o: WalSpoolOptions;
  readonly #logger: Logger;
  readonly #running = new Map<string, Promise<void>>();

  constructor(options: WalSpoolOptions) {
    this.#o = options;
    this.dir = options.dir;
    this.#logger = options.logger ?? silentLogger();
  }

  /** Moves the prefetched `name` to `dest`; false when it is not (and will not shortly be) in the spool. */
  async take(name: string, dest: string): Promise<boolean> {
    const file = join(this.dir, name);
    await this.#running.get(name)?.catch(() => {});
    const deadline = Date.now() + (this.#o.waitMs ?? 30_000);
    for (;;) {
      if (await exists(file)) {
        await rename(file, dest).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EXDEV') throw err;
          await copyFile(file, dest);
          await rm(file, { force: true });
        });
        return true;
      }
      const lock = await stat(`${file}.lock`).catch(() => undefined);
      if (!lock || Date.now() - lock.mtimeMs > (this.#o.staleMs ?? 600_000) || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Downloads `names` into the spool in parallel; stops quietly at the first that is not archived (yet). */
  async prefetch(names: string[], signal?: AbortSignal): Promise<{ fetched: string[] }> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.#removeStale();
    const fetched: string[] = [];
    await Promise.all(
      names.map(async (name) => {
        let job = this.#running.get(name);
        if (!job) {
          job = this.#download(name, signal).then((ok) => {
            if (ok) fetched.push(name);
          });
          this.#running.set(name, job);
          job.finally(() => this.#running.delete(name)).catch(() => {});
        }
        await job.catch(() => {});
      }),
    );
    return { fetched };
  }

  async #download(name: string, signal?: AbortSignal): Promise<boolean> {
    const file = join(this.dir, name);
    if (await exists(file)) return false;
    const lock = await open(`${file}.lock`, 'wx').catch(() => undefined);
    if (!lock) return false;
    const temp = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}`);
    try {
      await this.#o.archive.fetch(name, temp, { signal });
      await rename(temp, file);
      return true;
    } catch (err) {
      if (!isDbrsError(err, 'NOT_FOUND'))
        this.#logger.warn({ event: 'wal_prefetch_failed', name, err }, 'prefetch failed');
      return false;
    } finally {
      await lock.close();
      await rm(`${file}.lock`, { force: true });
      await rm(temp, { force: true });
    }
  }

  async #removeStale(): Promise<void> {
    const limit = Date.now() - (this.#o.staleMs ?? 600_000);
    for (const entry of await readdir(this.dir).catch(() => [] as string[])) {
      const p = join(this.dir, entry);
      const st = await stat(p).catch(() => undefined);
      if (st && st.mtimeMs < limit) await rm(p, { force: true });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
