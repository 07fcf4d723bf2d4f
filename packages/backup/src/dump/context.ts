import type { Readable } from 'node:stream';
import type { Database, Logger } from '@voicehive/db-core';
import type { ManifestObject } from '../catalog/manifest.js';
import type { PgTool } from '../kinds.js';

/** What a dump strategy needs from the manager; storage details stay behind `store`. */
export interface DumpContext {
  /** Connected to the database being backed up. */
  db: Database;
  database: string;
  /** libpq environment (password in PGPASSWORD) for child tools. */
  env: NodeJS.ProcessEnv;
  toolPath(tool: PgTool): string;
  /**
   * Streams `source` through compression/encryption into the backup folder.
   * With `precompressed`, `source` is already zstd (the `zstd` program fed
   * straight from the tool): only encryption and hashing remain, and the raw
   * size comes from the callback once the source ended.
   */
  store(name: string, role: string, source: Readable, precompressed?: { rawBytes(): number }): Promise<ManifestObject>;
  /** The backup's compression and level (physical backups let pg_basebackup compress with zstd itself). */
  compression: { kind: 'zstd' | 'gzip' | 'none'; level?: number };
  /** The `zstd` program and level when the pipeline compresses with it; undefined for node:zlib or other codecs. */
  zstd?: { program: string; level: number };
  tempDir: string;
  signal?: AbortSignal;
  onSpawn?: (info: { tool: PgTool; pid: number }) => void;
  logger: Logger;
}

export interface DumpOutcome {
  format: 'custom' | 'directory' | 'tar';
  objects: ManifestObject[];
  rowCounts?: Record<string, number>;
  snapshotId?: string;
  wal?: { startLsn?: string; endLsn?: string; currentLsn?: string; timeline?: number };
  systemIdentifier?: string;
  /** Physical: the bootstrap superuser, to connect to the restored copy. */
  superuser?: string;
  /** Physical: the next transaction id when the row counts were taken. */
  rowCountsNextXid?: string;
}
