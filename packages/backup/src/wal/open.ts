import { resolveSettings } from '../config.js';
import { keyRingFromConfig } from '../pipeline/encryption/from-config.js';
import { createStorage } from '../storage/create-storage.js';
import type { DatabaseBackupManagerOptions } from '../types.js';
import { WalArchive } from './archive.js';
import { WalKeyCache, type WalKeyCacheOptions } from './key-cache.js';

export interface OpenedWalArchive extends AsyncDisposable {
  archive: WalArchive;
  close(): Promise<void>;
}

/**
 * A WalArchive from the same configuration as the backup manager (storage,
 * keys, compression), without a database connection: what `dbrs wal push`
 * and `dbrs wal fetch` need, started once per WAL file by PostgreSQL.
 */
export async function openWalArchive(
  config: DatabaseBackupManagerOptions & {
    walPrefix?: string;
    /** Keeps the passphrase's key id and KEK between processes (see WalKeyCache for why that is safe). */
    keyCache?: WalKeyCacheOptions;
  },
): Promise<OpenedWalArchive> {
  const settings = resolveSettings(config);
  const keyRing = await cachedKeyRing(config);
  const owns = !config.storage;
  const storage = config.storage ?? createStorage(config);
  const archive = new WalArchive({
    storage,
    keyRing,
    compression: settings.compression,
    compressionLevel: settings.compressionLevel,
    // In process unless a program is configured explicitly: a 16 MB segment gains nothing from an external
    // (multi-threaded) zstd, and paid its fork, exec and pipe copies once per file.
    zstdProgram: config.zstdProgram ?? false,
    ...(config.walPrefix ? { prefix: config.walPrefix } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
    ...(config.metrics ? { metrics: config.metrics } : {}),
  });
  const close = async () => {
    if (owns) await storage.close().catch(() => {});
  };
  return { archive, close, [Symbol.asyncDispose]: close };
}

/**
 * The key ring, from the key cache when it holds this passphrase's
 * derivation; otherwise derived now and stored for the next process.
 */
async function cachedKeyRing(config: Parameters<typeof openWalArchive>[0]) {
  const passphrase = config.encryption === false ? undefined : config.encryptionKey;
  if (!config.keyCache || passphrase === undefined || passphrase === '') return keyRingFromConfig(config);
  const cache = new WalKeyCache(config.keyCache);
  const logN = config.scryptLogN ?? 15;
  const derived = await cache.read(passphrase, logN);
  const keyRing = await keyRingFromConfig(config, derived);
  if (!derived && !config.keyCache.readOnly) {
    const fresh = await keyRing.passphraseDerivation();
    if (fresh) await cache.write(passphrase, fresh);
  }
  return keyRing;
}
