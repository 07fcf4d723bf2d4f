import { createHash } from 'node:crypto';

/**
 * A stable signed 64-bit advisory-lock key from a name. SHA-256 rather than
 * hashtext() so the key is the same on every server version and computable
 * without a round trip; namespaced so our keys do not collide with an
 * application's small integer keys.
 */
export function advisoryLockKey(name: string): string {
  const digest = createHash('sha256').update(`voicehive-dbrs:${name}`).digest();
  return digest.readBigInt64BE(0).toString();
}
