import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  pbkdf2,
  scrypt,
} from 'node:crypto';
import { DbrsError } from '@voicehive/db-core';
import type { NamedPassphrase } from '../../types.js';

const PUB_PREFIX = 'vhbk-pub-';
const SEC_PREFIX = 'vhbk-sec-';
/** Fixed, public salt for deriving a passphrase's key id: the id reveals nothing cheaper to attack than the wrap itself. */
const KEY_ID_SALT = Buffer.from('voicehive-backup key id v1');

export interface PassphraseKey {
  kind: 'passphrase';
  id: string;
  passphrase: string;
}

export interface RecipientKey {
  kind: 'x25519-public';
  id: string;
  publicKey: KeyObject;
  raw: Buffer;
}

export interface IdentityKey {
  kind: 'x25519-private';
  id: string;
  privateKey: KeyObject;
  publicRaw: Buffer;
}

export type DecryptionKey = PassphraseKey | IdentityKey;

/** A new X25519 key pair: give `publicKey` to backup hosts (`encryptionRecipients`), keep `privateKey` for restores (`decryptionKeys`). */
export function generateRecipientKeyPair(): { publicKey: string; privateKey: string; keyId: string } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const sec = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return {
    publicKey: PUB_PREFIX + pub.toString('base64url'),
    privateKey: SEC_PREFIX + sec.toString('base64url'),
    keyId: x25519KeyId(pub),
  };
}

export function x25519KeyId(publicRaw: Buffer): string {
  return `x25519-${createHash('sha256').update(publicRaw).digest('hex').slice(0, 16)}`;
}

export function isPrivateKeyString(value: string): boolean {
  return value.startsWith(SEC_PREFIX);
}

export function parseRecipient(value: string): RecipientKey {
  if (typeof value !== 'string' || !value.startsWith(PUB_PREFIX)) {
    throw new DbrsError('CONFIG_INVALID', 'An encryption recipient is not a vhbk-pub-… public key.', {
      hint: 'Create one with generateRecipientKeyPair() and put its publicKey in encryptionRecipients.',
    });
  }
  const raw = Buffer.from(value.slice(PUB_PREFIX.length), 'base64url');
  if (raw.length !== 32)
    throw new DbrsError('CONFIG_INVALID', 'An encryption recipient has the wrong length (expected 32 bytes).');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return { kind: 'x25519-public', id: x25519KeyId(raw), publicKey, raw };
}

export function parseIdentity(value: string): IdentityKey {
  const raw = Buffer.from(value.slice(SEC_PREFIX.length), 'base64url');
  if (raw.length !== 32)
    throw new DbrsError('CONFIG_INVALID', 'A decryption key has the wrong length (expected 32 bytes).');
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: derivePublic(raw) },
    format: 'jwk',
  });
  const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  return { kind: 'x25519-private', id: x25519KeyId(publicRaw), privateKey, publicRaw };
}

function derivePublic(secret: Buffer): string {
  // JWK import wants x; derive it via a PKCS#8 import of the raw scalar.
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), secret]);
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return createPublicKey(key).export({ format: 'jwk' }).x!;
}

export function scryptAsync(passphrase: string | Buffer, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + (1 << 20) }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** Key id of a passphrase: explicit, else derived with scrypt so it cannot be brute-forced faster than the key itself. */
export async function passphraseKey(
  input: string | NamedPassphrase,
  known: { id?: string } = {},
): Promise<PassphraseKey> {
  if (typeof input === 'object' && input !== null) {
    if (!input.id || !input.passphrase) {
      throw new DbrsError('CONFIG_INVALID', 'A named encryption key needs a non-empty id and passphrase.');
    }
    return { kind: 'passphrase', id: input.id, passphrase: input.passphrase };
  }
  if (typeof input !== 'string' || input.length < 8) {
    throw new DbrsError('CONFIG_INVALID', 'The encryption passphrase is shorter than 8 characters.', {
      hint: 'Use a long random passphrase (e.g. 32 random bytes, base64).',
    });
  }
  // The id derived earlier from this passphrase (the WAL key cache, which finds its entry by the passphrase).
  if (known.id) return { kind: 'passphrase', id: known.id, passphrase: input };
  // PBKDF2 (600k rounds) rather than scrypt: as slow to brute-force per guess, without scrypt's tens of MiB of peak memory.
  const derived = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(input, KEY_ID_SALT, 600_000, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
  );
  const id = `pp-${derived.subarray(0, 8).toString('hex')}`;
  return { kind: 'passphrase', id, passphrase: input };
}

export async function decryptionKey(input: string | NamedPassphrase): Promise<DecryptionKey> {
  if (typeof input === 'string' && isPrivateKeyString(input)) return parseIdentity(input);
  return passphraseKey(input);
}
