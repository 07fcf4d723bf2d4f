import type { DatabaseBackupManagerOptions } from '../../types.js';
import { KeyRing, type PassphraseDerivation } from './keyring.js';

/**
 * The key ring a DatabaseBackupManagerOptions describes: encryption keys when encryption is on
 * (the default whenever a key or recipient is set), and every key that may
 * open old objects. `encryption: false` with a key still decrypts with it.
 */
export function keyRingFromConfig(
  config: DatabaseBackupManagerOptions,
  derived?: PassphraseDerivation,
): Promise<KeyRing> {
  const off = config.encryption === false;
  return KeyRing.create({
    encryptionKey: off ? undefined : config.encryptionKey,
    encryptionRecipients: off ? [] : config.encryptionRecipients,
    decryptionKeys: [...(off && config.encryptionKey ? [config.encryptionKey] : []), ...(config.decryptionKeys ?? [])],
    scryptLogN: config.scryptLogN,
    chunkSize: config.encryptionChunkSize,
    ...(derived ? { derived } : {}),
  });
}
