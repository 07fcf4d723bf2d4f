import { join, resolve } from 'node:path';
import { type DatabaseBackupManagerOptions, openWalArchive } from '@voicehive/db-backup';
import { createLogger, silentLogger } from '@voicehive/db-core';
import { backupPlanOf } from '../../components/backup.js';
import { userCacheDir } from '../cache-dir.js';
import { commandConfig } from '../config.js';
import type { CommandContext } from '../context.js';

/**
 * The backup storage, keys and compression from the configuration, with no
 * database connection and no other feature: archive_command and
 * restore_command start this once per WAL file.
 */
export async function openArchive(ctx: CommandContext, keyCacheMode: 'read-write' | 'read-only') {
  const { config } = commandConfig(ctx);
  const logger =
    ctx.values['verbose'] === true
      ? createLogger({ level: 'debug', destination: process.stderr as never })
      : silentLogger();
  // No metrics registry or audit log: a short-lived child of PostgreSQL has no one to serve them to.
  const { metrics: _m, audit: _a, ...backup }: DatabaseBackupManagerOptions = backupPlanOf(config, logger).manager;
  const keyCache = keyCacheDir(ctx);
  return openWalArchive({
    ...backup,
    ...(keyCache ? { keyCache: { dir: keyCache, readOnly: keyCacheMode === 'read-only' } } : {}),
  });
}

/**
 * Where the passphrase's derived key is cached between WAL files (see
 * WalKeyCache in the backup package): `--key-cache DIR`, `off`, or by default
 * `keys` in the user's dbrs cache directory. The cache is used only when that
 * directory is private to the user running PostgreSQL.
 */
function keyCacheDir(ctx: CommandContext): string | undefined {
  const given = ctx.str('key-cache');
  if (given === 'off') return undefined;
  return given ? resolve(ctx.io.cwd, given) : join(userCacheDir(ctx.io.env), 'keys');
}
