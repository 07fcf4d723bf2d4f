import { createHmac, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PassphraseDerivation } from '../pipeline/encryption/keyring.js';
import type { NamedPassphrase } from '../types.js';

export interface WalKeyCacheOptions {
  /** A directory only this OS user can read (created 0700; refused when another user could read or own it). */
  dir: string;
  /** A cached KEK is used this long, then derived again under a fresh salt. Default 24 h. */
  maxAgeMs?: number;
  /** Use an entry but never derive one to store (`wal fetch`: its objects' salts decide, not a fresh one). */
  readOnly?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The passphrase's key derivations, once per day instead of once per WAL file.
 *
 * PostgreSQL starts `wal push` once per segment; each start used to pay PBKDF2
 * (600k rounds, the passphrase's key id) and scrypt (the KEK under a fresh
 * salt): the largest part of a push. This cache keeps the id and one KEK in a
 * 0600 file in a 0700 directory of the archiving OS user. What a reader of
 * that file gains (the KEK opens the objects wrapped under its salt) is less
 * than what the same user can read already: the passphrase itself, in the
 * archive_command's environment or configuration file. Nothing that needs the
 * passphrase gets cheaper for anyone else: every object still carries a
 * scrypt stanza, the id is still PBKDF2-derived, and the entry's file name is
 * an HMAC under a random pepper kept in the same directory (a bare hash of the
 * passphrase would be a fast guess check). Each object still gets its own
 * random data key; only the KEK wrapping it is reused, for at most a day
 * (GCM with random 96-bit nonces: far below the 2^32-message bound).
 */
export class WalKeyCache {
  readonly #dir: string;
  readonly #maxAgeMs: number;

  constructor(options: WalKeyCacheOptions) {
    this.#dir = options.dir;
    this.#maxAgeMs = options.maxAgeMs ?? DAY_MS;
  }

  /** The cached derivation for this passphrase and cost, or undefined (none, expired, or an unsafe directory). */
  async read(passphrase: string | NamedPassphrase, logN: number): Promise<PassphraseDerivation | undefined> {
    const file = await this.#entryFile(passphrase, logN, false);
    if (!file || !(await privateTo(file, 'file'))) return undefined;
    try {
      const e = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      const at = Date.parse(String(e['createdAt']));
      if (e['v'] !== 1 || e['logN'] !== logN || !(Date.now() - at < this.#maxAgeMs) || at > Date.now() + 60_000)
        return undefined;
      const salt = Buffer.from(String(e['salt']), 'base64');
      const kek = Buffer.from(String(e['kek']), 'base64');
      if (salt.length !== 16 || kek.length !== 32 || typeof e['id'] !== 'string') return undefined;
      return { id: e['id'], salt, logN, kek };
    } catch {
      return undefined;
    }
  }

  /** Stores a derivation (0600, written whole then renamed); false when the directory is not private. */
  async write(passphrase: string | NamedPassphrase, d: PassphraseDerivation): Promise<boolean> {
    const file = await this.#entryFile(passphrase, d.logN, true);
    if (!file) return false;
    const body = JSON.stringify({
      v: 1,
      id: d.id,
      salt: d.salt.toString('base64'),
      logN: d.logN,
      kek: d.kek.toString('base64'),
      createdAt: new Date().toISOString(),
    });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const h = await open(tmp, 'wx', 0o600);
      try {
        await h.writeFile(body);
      } finally {
        await h.close();
      }
      await rename(tmp, file);
      return true;
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
      return false;
    }
  }

  async #entryFile(passphrase: string | NamedPassphrase, logN: number, create: boolean) {
    if (create) await mkdir(this.#dir, { recursive: true, mode: 0o700 }).catch(() => {});
    if (!(await privateTo(this.#dir, 'dir'))) return undefined;
    const pepper = await this.#pepper(create);
    if (!pepper) return undefined;
    const secret = typeof passphrase === 'string' ? passphrase : `${passphrase.id}\0${passphrase.passphrase}`;
    const tag = createHmac('sha256', pepper).update(`${logN}\0${secret}`).digest('hex').slice(0, 32);
    return join(this.#dir, `wal-kek-${tag}.json`);
  }

  async #pepper(create: boolean): Promise<Buffer | undefined> {
    const file = join(this.#dir, 'pepper');
    if (create) {
      const h = await open(file, 'wx', 0o600).catch(() => undefined);
      if (h) {
        try {
          await h.writeFile(randomBytes(32));
        } finally {
          await h.close();
        }
      }
    }
    if (!(await privateTo(file, 'file'))) return undefined;
    const pepper = await readFile(file).catch(() => undefined);
    return pepper?.length === 32 ? pepper : undefined;
  }
}

/** Owned by this OS user, not a symlink, and no access for group or others. */
async function privateTo(path: string, kind: 'dir' | 'file'): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  if (!st || (kind === 'dir' ? !st.isDirectory() : !st.isFile())) return false;
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
}
