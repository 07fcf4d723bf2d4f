import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DbrsError } from '@voicehive/db-core';
import type { NamedPassphrase } from '../../types.js';
import { ChunkBuffer } from './chunk-buffer.js';
import { chunkNonce, decodeHeader, encodeHeader, type Header, NONCE_BYTES, type Stanza, TAG_BYTES } from './format.js';
import {
  type DecryptionKey,
  decryptionKey,
  type PassphraseKey,
  parseRecipient,
  passphraseKey,
  type RecipientKey,
  scryptAsync,
} from './keys.js';

export interface KeyRingOptions {
  encryptionKey?: string | NamedPassphrase;
  encryptionRecipients?: string[];
  decryptionKeys?: Array<string | NamedPassphrase>;
  /** Default 15. */
  scryptLogN?: number;
  /** Default 256 KiB. */
  chunkSize?: number;
  /**
   * The passphrase's key id and scrypt KEK derived by an earlier process (the
   * WAL key cache, wal/key-cache.ts), so a short-lived `wal push` skips both
   * key derivations. Used only with `encryptionKey` and the same scryptLogN.
   */
  derived?: PassphraseDerivation;
}

/** A passphrase's key id and its KEK under one salt: what encrypting needs, without the passphrase's KDFs. */
export interface PassphraseDerivation {
  id: string;
  salt: Buffer;
  logN: number;
  kek: Buffer;
}

const WRAP_INFO = Buffer.from('voicehive-backup x25519 wrap v1');
const DEFAULT_CHUNK = 256 * 1024;

/**
 * Holds the keys of one manager: which stanzas new objects get, and which
 * keys may open old ones. A fresh random data key per object; it is wrapped
 * for every configured passphrase (scrypt KEK) and recipient (X25519 + HKDF).
 */
export class KeyRing {
  readonly #logN: number;
  readonly #chunkSize: number;
  #passphrase: PassphraseKey | undefined;
  #recipients: RecipientKey[] = [];
  #decryption: DecryptionKey[] = [];
  #encryptSalt: Buffer = randomBytes(16);
  #encryptKek: Buffer | undefined;
  readonly #kekCache = new Map<string, Promise<Buffer>>();

  private constructor(logN: number, chunkSize: number) {
    this.#logN = logN;
    this.#chunkSize = chunkSize;
  }

  static async create(options: KeyRingOptions): Promise<KeyRing> {
    const logN = options.scryptLogN ?? 15;
    if (!Number.isInteger(logN) || logN < 10 || logN > 22) {
      throw new DbrsError('CONFIG_INVALID', `scryptLogN ${logN} is out of range.`, { hint: 'Use 15–20 (default 15).' });
    }
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(chunkSize) || chunkSize < 1024 || chunkSize > 16 << 20) {
      throw new DbrsError('CONFIG_INVALID', `encryptionChunkSize ${chunkSize} is out of range.`, {
        hint: 'Use 64 KiB to 1 MiB.',
      });
    }
    const ring = new KeyRing(logN, chunkSize);
    if (options.encryptionKey !== undefined && options.encryptionKey !== '') {
      const derived = options.derived?.logN === logN ? options.derived : undefined;
      ring.#passphrase = await passphraseKey(options.encryptionKey, derived ? { id: derived.id } : {});
      if (derived) {
        ring.#encryptSalt = derived.salt;
        ring.#encryptKek = derived.kek;
        ring.#kekCache.set(kekCacheKey(ring.#passphrase.passphrase, derived.salt, logN), Promise.resolve(derived.kek));
      }
      ring.#decryption.push(ring.#passphrase);
    }
    ring.#recipients = (options.encryptionRecipients ?? []).map(parseRecipient);
    for (const k of options.decryptionKeys ?? []) ring.#decryption.push(await decryptionKey(k));
    return ring;
  }

  /**
   * The passphrase's key id and the KEK new objects are wrapped with (derived
   * now if no object was encrypted yet), for the WAL key cache; undefined
   * without a passphrase.
   */
  async passphraseDerivation(): Promise<PassphraseDerivation | undefined> {
    if (!this.#passphrase) return undefined;
    this.#encryptKek ??= await scryptAsync(this.#passphrase.passphrase, this.#encryptSalt, this.#logN);
    return { id: this.#passphrase.id, salt: this.#encryptSalt, logN: this.#logN, kek: this.#encryptKek };
  }

  get encrypting(): boolean {
    return this.#passphrase !== undefined || this.#recipients.length > 0;
  }

  /** Ids of the keys new objects are encrypted to. */
  get encryptionKeyIds(): string[] {
    return [...(this.#passphrase ? [this.#passphrase.id] : []), ...this.#recipients.map((r) => r.id)];
  }

  get decryptionKeyIds(): string[] {
    return this.#decryption.map((k) => k.id);
  }

  /** Builds the header (with wrapped keys) for a new object and returns a cipher stream. */
  async createEncryptor(): Promise<Transform> {
    if (!this.encrypting) throw new DbrsError('INVALID_ARGUMENT', 'No encryption key or recipient is configured.');
    const dataKey = randomBytes(32);
    const stanzas: Stanza[] = [];
    if (this.#passphrase) {
      this.#encryptKek ??= await scryptAsync(this.#passphrase.passphrase, this.#encryptSalt, this.#logN);
      const { wrapNonce, wrappedKey } = wrap(this.#encryptKek, dataKey, this.#passphrase.id);
      stanzas.push({
        type: 'scrypt',
        keyId: this.#passphrase.id,
        salt: this.#encryptSalt,
        logN: this.#logN,
        wrapNonce,
        wrappedKey,
      });
    }
    for (const r of this.#recipients) {
      const eph = generateKeyPairSync('x25519');
      const ephRaw = Buffer.from(eph.publicKey.export({ format: 'jwk' }).x!, 'base64url');
      const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: r.publicKey });
      const kek = Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephRaw, r.raw]), WRAP_INFO, 32));
      const { wrapNonce, wrappedKey } = wrap(kek, dataKey, r.id);
      stanzas.push({ type: 'x25519', keyId: r.id, ephemeralPublic: ephRaw, wrapNonce, wrappedKey });
    }
    const header: Header = { chunkSize: this.#chunkSize, baseNonce: randomBytes(NONCE_BYTES), stanzas };
    return new EncryptStream(dataKey, header);
  }

  createDecryptor(): Transform {
    return new DecryptStream((h) => this.#unwrap(h));
  }

  async #unwrap(header: Header): Promise<Buffer> {
    const ids = header.stanzas.map((s) => s.keyId);
    let tried = false;
    for (const stanza of header.stanzas) {
      for (const key of this.#decryption) {
        if (key.id !== stanza.keyId) continue;
        tried = true;
        const kek = await this.#kekFor(stanza, key);
        if (!kek) continue;
        const dataKey = unwrap(kek, stanza, key.id);
        if (dataKey) return dataKey;
      }
    }
    // Ids may differ while the key is right (an unnamed passphrase renamed): try every passphrase on scrypt stanzas.
    if (!tried) {
      for (const stanza of header.stanzas) {
        if (stanza.type !== 'scrypt') continue;
        for (const key of this.#decryption) {
          if (key.kind !== 'passphrase') continue;
          const dataKey = unwrap(await this.#scryptKek(key, stanza), stanza, stanza.keyId);
          if (dataKey) return dataKey;
        }
      }
    }
    throw new DbrsError(
      'DECRYPTION_FAILED',
      tried
        ? `The configured key for ${ids.join(', ')} did not open the backup (wrong passphrase or private key).`
        : `No configured decryption key matches this backup; it was encrypted for key id(s) ${ids.join(', ')}.`,
      {
        // callerKey: the object may be fine; the key in hand is what failed (verification must not blame the backup).
        details: { keyIds: ids, configuredKeyIds: this.decryptionKeyIds, callerKey: true },
        hint: 'Add the right passphrase or vhbk-sec-… private key to decryptionKeys.',
      },
    );
  }

  async #kekFor(stanza: Stanza, key: DecryptionKey): Promise<Buffer | undefined> {
    if (stanza.type === 'scrypt' && key.kind === 'passphrase') return this.#scryptKek(key, stanza);
    if (stanza.type === 'x25519' && key.kind === 'x25519-private') {
      const ephPub = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: stanza.ephemeralPublic.toString('base64url') },
        format: 'jwk',
      });
      const shared = diffieHellman({ privateKey: key.privateKey, publicKey: ephPub });
      return Buffer.from(
        hkdfSync('sha256', shared, Buffer.concat([stanza.ephemeralPublic, key.publicRaw]), WRAP_INFO, 32),
      );
    }
    return undefined;
  }

  #scryptKek(key: PassphraseKey, stanza: Extract<Stanza, { type: 'scrypt' }>): Promise<Buffer> {
    if (stanza.logN > 22)
      throw new DbrsError('INTEGRITY_FAILED', `Encrypted object asks for scrypt logN ${stanza.logN}.`);
    const cacheKey = kekCacheKey(key.passphrase, stanza.salt, stanza.logN);
    let kek = this.#kekCache.get(cacheKey);
    if (!kek) {
      kek = scryptAsync(key.passphrase, stanza.salt, stanza.logN);
      this.#kekCache.set(cacheKey, kek);
    }
    return kek;
  }
}

function kekCacheKey(passphrase: string, salt: Buffer, logN: number): string {
  return createHash('sha256')
    .update(passphrase)
    .update(salt)
    .update(Buffer.from([logN]))
    .digest('hex');
}

function wrapAad(keyId: string): Buffer {
  return Buffer.from(`vhbk-wrap-v1:${keyId}`);
}

function wrap(kek: Buffer, dataKey: Buffer, keyId: string): { wrapNonce: Buffer; wrappedKey: Buffer } {
  const wrapNonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', kek, wrapNonce);
  c.setAAD(wrapAad(keyId));
  const wrappedKey = Buffer.concat([c.update(dataKey), c.final(), c.getAuthTag()]);
  return { wrapNonce, wrappedKey };
}

function unwrap(kek: Buffer, stanza: Stanza, keyId: string): Buffer | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', kek, stanza.wrapNonce);
    d.setAAD(wrapAad(keyId));
    d.setAuthTag(stanza.wrappedKey.subarray(32));
    return Buffer.concat([d.update(stanza.wrappedKey.subarray(0, 32)), d.final()]);
  } catch {
    return undefined;
  }
}

function chunkAad(headerHash: Buffer, last: boolean): Buffer {
  return Buffer.concat([headerHash, Buffer.from([last ? 1 : 0])]);
}

/** Header, then fixed-size AES-256-GCM chunks; the final chunk (possibly empty) is flagged in its AAD. */
class EncryptStream extends Transform {
  readonly #key: Buffer;
  readonly #header: Header;
  readonly #headerBytes: Buffer;
  readonly #headerHash: Buffer;
  readonly #pending = new ChunkBuffer();
  #index = 0;
  #headerSent = false;

  constructor(key: Buffer, header: Header) {
    super({ highWaterMark: 1 << 18 });
    this.#key = key;
    this.#header = header;
    this.#headerBytes = encodeHeader(header);
    this.#headerHash = createHash('sha256').update(this.#headerBytes).digest();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (!this.#headerSent) {
      this.push(this.#headerBytes);
      this.#headerSent = true;
    }
    this.#pending.push(chunk);
    const size = this.#header.chunkSize;
    // Hold back at least one full chunk: only at the end do we know which chunk is last.
    while (this.#pending.length > size) this.push(this.#seal(this.#pending.takeParts(size), false));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (!this.#headerSent) this.push(this.#headerBytes);
    cb(null, this.#seal(this.#pending.takeParts(this.#pending.length), true));
  }

  /**
   * Encrypts a chunk from the pieces it arrived in: GCM takes its input in
   * parts, so no chunk-sized copy is assembled first (every copy is garbage
   * the GC must catch up with, which is most of this process's peak RSS).
   */
  #seal(parts: Buffer[], last: boolean): Buffer {
    const c = createCipheriv('aes-256-gcm', this.#key, chunkNonce(this.#header.baseNonce, this.#index++));
    c.setAAD(chunkAad(this.#headerHash, last));
    for (const part of parts) this.push(c.update(part));
    c.final(); // GCM emits nothing here
    return c.getAuthTag();
  }
}

class DecryptStream extends Transform {
  readonly #unwrap: (h: Header) => Promise<Buffer>;
  readonly #pending = new ChunkBuffer();
  #header: Header | undefined;
  #headerHash: Buffer | undefined;
  #key: Buffer | undefined;
  #index = 0;

  constructor(unwrapKey: (h: Header) => Promise<Buffer>) {
    super({ highWaterMark: 1 << 18 });
    this.#unwrap = unwrapKey;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#pending.push(chunk);
    this.#drain(false).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.#drain(true).then(() => cb(), cb);
  }

  async #drain(end: boolean): Promise<void> {
    if (!this.#key) {
      const parsed = decodeHeader(this.#pending.peek(this.#pending.length));
      if (!parsed) {
        if (end) throw new DbrsError('INTEGRITY_FAILED', 'The encrypted object ends inside its header (truncated).');
        return;
      }
      const headerBytes = this.#pending.take(parsed.length);
      this.#header = parsed.header;
      this.#headerHash = createHash('sha256').update(headerBytes).digest();
      this.#key = await this.#unwrap(parsed.header);
    }
    const sealed = this.#header!.chunkSize + TAG_BYTES;
    while (this.#pending.length > sealed) this.#open(sealed, false);
    if (end) {
      if (this.#pending.length < TAG_BYTES) {
        throw new DbrsError('INTEGRITY_FAILED', 'The encrypted object is truncated (final chunk missing).');
      }
      this.#open(this.#pending.length, true);
    }
  }

  /**
   * Opens the next `sealed` pending bytes from the pieces they arrived in (no
   * chunk-sized copy, as in EncryptStream); the plaintext is pushed only once
   * the chunk's tag has been checked.
   */
  #open(sealed: number, last: boolean): void {
    const index = this.#index++;
    const body = this.#pending.takeParts(sealed - TAG_BYTES);
    const tag = this.#pending.take(TAG_BYTES);
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key!, chunkNonce(this.#header!.baseNonce, index));
      d.setAAD(chunkAad(this.#headerHash!, last));
      d.setAuthTag(tag);
      const plain = body.map((part) => d.update(part));
      d.final(); // GCM emits nothing here; it only checks the tag
      for (const p of plain) this.push(p);
    } catch (cause) {
      throw new DbrsError(
        'INTEGRITY_FAILED',
        `Encrypted chunk ${index} failed authentication: the object was modified or truncated.`,
        { cause, details: { chunk: index } },
      );
    }
  }
}
