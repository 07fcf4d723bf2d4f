import { resolveSettings } from '../config.js';
import { keyRingFromConfig } from '../pipeline/encryption/from-config.js';
import { createStorage } from '../storage/create-storage.js';
import type { BackupConfig } from '../types.js';
import { WalArchive } from './archive.js';

export interface OpenedWalArchive extends AsyncDisposable {
  archive: WalArchive;
  close(): Promise<void>;
}

/**
 * A WalArchive from the same configuration as the backup manager (storage,
 * keys, compression), without a database connection: what `dbrs wal push`
 * and `dbrs wal fetch` need, started once per WAL file by PostgreSQL.
 */
export async function openWalArchive(config: BackupConfig & { walPrefix?: string }): Promise<OpenedWalArchive> {
  const settings = resolveSettings(config);
  const keyRing = await keyRingFromConfig(config);
  const owns = !config.storage;
  const storage = config.storage ?? createStorage(config);
  const archive = new WalArchive({
    storage,
    keyRing,
    compression: settings.compression,
    compressionLevel: settings.compressionLevel,
    zstdProgram: settings.zstdProgram,
    ...(config.walPrefix ? { prefix: config.walPrefix } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
    ...(config.metrics ? { metrics: config.metrics } : {}),
  });
  const close = async () => {
    if (owns) await storage.close().catch(() => {});
  };
  return { archive, close, [Symbol.asyncDispose]: close };
}
