import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWalName } from './names.js';

/** What the asynchronous pusher recorded for one WAL file. */
export type PushStatus = { state: 'ok'; detail: string } | { state: 'error'; detail: string };

/**
 * The status files of the asynchronous pusher, as pgBackRest's spool keeps
 * them: `<name>.ok` once the file is durably in the archive, `<name>.error`
 * (a code and a redacted one-line message, never a key) when the push
 * failed. Each is written under a temporary name, fsynced and renamed, so a
 * reader never sees half of one.
 */
export class PushStatusFiles {
  constructor(readonly dir: string) {}

  async read(name: string): Promise<PushStatus | undefined> {
    const ok = await readFile(join(this.dir, `${name}.ok`), 'utf8').catch(() => undefined);
    if (ok !== undefined) return { state: 'ok', detail: ok.trim() };
    const error = await readFile(join(this.dir, `${name}.error`), 'utf8').catch(() => undefined);
    if (error !== undefined) return { state: 'error', detail: error.trim() };
    return undefined;
  }

  writeOk(name: string, detail: string): Promise<void> {
    return this.#write(`${name}.ok`, detail);
  }

  async writeError(name: string, detail: string): Promise<void> {
    await this.#write(`${name}.error`, detail);
  }

  /** Removes `<name>.error` so the worker tries the file again (PostgreSQL retries the command). */
  async consumeError(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.error`), { force: true });
  }

  /** Removes a `<name>.ok` that does not name the file PostgreSQL offers now (the worker then pushes it again). */
  async dropOk(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.ok`), { force: true });
  }

  /** WAL file names that have a status file. */
  async names(): Promise<Map<string, PushStatus['state']>> {
    const out = new Map<string, PushStatus['state']>();
    for (const entry of await readdir(this.dir).catch(() => [] as string[])) {
      const m = /^(.+)\.(ok|error)$/.exec(entry);
      if (m && parseWalName(m[1]!)) out.set(m[1]!, m[2] as PushStatus['state']);
    }
    return out;
  }

  /** Drops the status of a file PostgreSQL no longer offers (archived: its `.ready` became `.done`). */
  async forget(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.ok`), { force: true });
    await rm(join(this.dir, `${name}.error`), { force: true });
  }

  async #write(file: string, detail: string): Promise<void> {
    const temp = join(this.dir, `.${file}.${randomBytes(4).toString('hex')}`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${detail}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(this.dir, file));
  }
}
