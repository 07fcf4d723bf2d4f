import { DbrsError } from '@voicehive/db-core';

/** "VHBK" + version 1; see docs/encryption-format.md. */
export const MAGIC = Buffer.from('VHBK', 'ascii');
export const VERSION = 1;
export const CIPHER_AES_256_GCM = 1;
export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;
export const WRAPPED_KEY_BYTES = 32 + TAG_BYTES;
const FIXED_BYTES = 4 + 1 + 1 + 4 + NONCE_BYTES + 2;

export type Stanza =
  | { type: 'scrypt'; keyId: string; salt: Buffer; logN: number; wrapNonce: Buffer; wrappedKey: Buffer }
  | { type: 'x25519'; keyId: string; ephemeralPublic: Buffer; wrapNonce: Buffer; wrappedKey: Buffer };

export interface Header {
  chunkSize: number;
  baseNonce: Buffer;
  stanzas: Stanza[];
}

export function encodeHeader(header: Header): Buffer {
  const parts: Buffer[] = [];
  const fixed = Buffer.alloc(FIXED_BYTES);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(VERSION, 4);
  fixed.writeUInt8(CIPHER_AES_256_GCM, 5);
  fixed.writeUInt32BE(header.chunkSize, 6);
  header.baseNonce.copy(fixed, 10);
  fixed.writeUInt16BE(header.stanzas.length, 22);
  parts.push(fixed);
  for (const s of header.stanzas) {
    const id = Buffer.from(s.keyId, 'utf8');
    if (id.length > 255) throw new DbrsError('CONFIG_INVALID', 'An encryption key id is longer than 255 bytes.');
    parts.push(Buffer.from([s.type === 'scrypt' ? 1 : 2, id.length]), id);
    if (s.type === 'scrypt') parts.push(s.salt, Buffer.from([s.logN]));
    else parts.push(s.ephemeralPublic);
    parts.push(s.wrapNonce, s.wrappedKey);
  }
  return Buffer.concat(parts);
}

/** Parses a header from the start of `buf`; undefined when more bytes are needed. */
export function decodeHeader(buf: Buffer): { header: Header; length: number } | undefined {
  if (buf.length < FIXED_BYTES) {
    if (buf.length >= 4 && !buf.subarray(0, 4).equals(MAGIC)) throw notEncrypted();
    return undefined;
  }
  if (!buf.subarray(0, 4).equals(MAGIC)) throw notEncrypted();
  const version = buf.readUInt8(4);
  if (version !== VERSION || buf.readUInt8(5) !== CIPHER_AES_256_GCM) {
    throw new DbrsError(
      'UNSUPPORTED',
      `Encrypted object has format version ${version}, this library reads version ${VERSION}.`,
      {
        hint: 'Upgrade @voicehive/db-backup to read it.',
      },
    );
  }
  const chunkSize = buf.readUInt32BE(6);
  const baseNonce = Buffer.from(buf.subarray(10, 22));
  const count = buf.readUInt16BE(22);
  let off = FIXED_BYTES;
  const stanzas: Stanza[] = [];
  const need = (n: number) => off + n <= buf.length;
  for (let i = 0; i < count; i++) {
    if (!need(2)) return undefined;
    const type = buf.readUInt8(off);
    const idLen = buf.readUInt8(off + 1);
    off += 2;
    if (!need(idLen)) return undefined;
    const keyId = buf.subarray(off, off + idLen).toString('utf8');
    off += idLen;
    if (type === 1) {
      if (!need(17 + NONCE_BYTES + WRAPPED_KEY_BYTES)) return undefined;
      const salt = Buffer.from(buf.subarray(off, off + 16));
      const logN = buf.readUInt8(off + 16);
      off += 17;
      const wrapNonce = Buffer.from(buf.subarray(off, off + NONCE_BYTES));
      const wrappedKey = Buffer.from(buf.subarray(off + NONCE_BYTES, off + NONCE_BYTES + WRAPPED_KEY_BYTES));
      off += NONCE_BYTES + WRAPPED_KEY_BYTES;
      stanzas.push({ type: 'scrypt', keyId, salt, logN, wrapNonce, wrappedKey });
    } else if (type === 2) {
      if (!need(32 + NONCE_BYTES + WRAPPED_KEY_BYTES)) return undefined;
      const ephemeralPublic = Buffer.from(buf.subarray(off, off + 32));
      off += 32;
      const wrapNonce = Buffer.from(buf.subarray(off, off + NONCE_BYTES));
      const wrappedKey = Buffer.from(buf.subarray(off + NONCE_BYTES, off + NONCE_BYTES + WRAPPED_KEY_BYTES));
      off += NONCE_BYTES + WRAPPED_KEY_BYTES;
      stanzas.push({ type: 'x25519', keyId, ephemeralPublic, wrapNonce, wrappedKey });
    } else {
      throw new DbrsError('INTEGRITY_FAILED', `Encrypted object header has an unknown key stanza type ${type}.`);
    }
  }
  if (chunkSize < 1024 || chunkSize > 64 << 20) {
    throw new DbrsError('INTEGRITY_FAILED', `Encrypted object header has an implausible chunk size ${chunkSize}.`);
  }
  return { header: { chunkSize, baseNonce, stanzas }, length: off };
}

/** Nonce of chunk `index`: base nonce XOR the 64-bit big-endian counter in its last 8 bytes. */
export function chunkNonce(base: Buffer, index: number): Buffer {
  const nonce = Buffer.from(base);
  const hi = Math.floor(index / 2 ** 32);
  const lo = index >>> 0;
  nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ hi) >>> 0, 4);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ lo) >>> 0, 8);
  return nonce;
}

function notEncrypted(): DbrsError {
  return new DbrsError('DECRYPTION_FAILED', 'The object is not in the VHBK encrypted format (bad magic).', {
    hint: 'It may be unencrypted or damaged; check the manifest encryption field.',
  });
}
