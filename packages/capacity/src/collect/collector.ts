import {
  type Database,
  errorMessage,
  getServerVersion,
  isDbrsError,
  type Logger,
  throwIfAborted,
} from '@voicehive/db-core';
import { readConnections, readDatabaseStats, readXidAge } from './activity.js';
import { HostReader } from './host.js';
import { readIo } from './io.js';
import { readDatabaseSize, readIndexSizes, readTableSizes } from './sizes.js';
import { isLocalHost, readStorage } from './storage.js';
import type { CapacitySnapshot } from './types.js';
import { readWalPosition } from './wal.js';

export interface CollectorOptions {
  /** Largest tables and indexes listed individually. */
  topN: number;
  /** Whether the server runs on this host ('auto': a loopback address or a Unix socket). */
  local: boolean | 'auto';
  storageLimitBytes: number | undefined;
  logger: Logger;
}

/**
 * Reads one capacity snapshot. Each part is read on its own so a part the role
 * may not see (or that this server version lacks) is reported in `errors`
 * while the rest still arrives; only database size is mandatory.
 */
export class CapacityCollector {
  readonly #db: Database;
  readonly #o: CollectorOptions;
  readonly #host = new HostReader();
  #previousWal: { position: number; at: number } | undefined;
  #versionNum: number | undefined;

  constructor(db: Database, options: CollectorOptions) {
    this.#db = db;
    this.#o = options;
  }

  get local(): boolean {
    return this.#o.local === 'auto' ? isLocalHost(this.#db.info.host) : this.#o.local;
  }

  async collect(options: { signal?: AbortSignal; at?: Date } = {}): Promise<CapacitySnapshot> {
    const { signal } = options;
    const at = options.at ?? new Date();
    const errors: CapacitySnapshot['errors'] = [];
    const part = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
      throwIfAborted(signal, 'capacity collection');
      try {
        return await fn();
      } catch (err) {
        if (isDbrsError(err, 'ABORTED') || signal?.aborted) throw err;
        const message = errorMessage(err);
        errors.push({ part: name, message });
        this.#o.logger.warn({ event: 'capacity_part_failed', part: name, err }, `could not read ${name}`);
        return null;
      }
    };
    if (this.#versionNum === undefined) {
      this.#versionNum = (await getServerVersion(this.#db, signal ? { signal } : {})).num;
    }
    const database = await readDatabaseSize(this.#db, signal);
    const tables = (await part('tables', () => readTableSizes(this.#db, { signal, topN: this.#o.topN }))) ?? {
      count: 0,
      totalBytes: 0,
      tableBytes: 0,
      indexBytes: 0,
      rowEstimate: 0,
      top: [],
    };
    const indexes = (await part('indexes', () => readIndexSizes(this.#db, { signal, topN: this.#o.topN }))) ?? {
      count: 0,
      totalBytes: 0,
      top: [],
    };
    const walPosition = await part('wal', () => readWalPosition(this.#db, signal));
    let wal: CapacitySnapshot['wal'] = null;
    if (walPosition !== null && Number.isFinite(walPosition)) {
      const prev = this.#previousWal;
      const since = prev && walPosition >= prev.position ? walPosition - prev.position : null;
      const seconds = prev ? (at.getTime() - prev.at) / 1000 : 0;
      wal = {
        positionBytes: walPosition,
        bytesSinceLast: since,
        bytesPerSecond: since !== null && seconds > 0 ? since / seconds : null,
      };
      this.#previousWal = { position: walPosition, at: at.getTime() };
    }
    const connections = await part('connections', () => readConnections(this.#db, signal));
    const xid = await part('xid', () => readXidAge(this.#db, signal));
    const stats = await part('database_stats', () => readDatabaseStats(this.#db, signal));
    const io = await part('io', () => readIo(this.#db, this.#versionNum!, signal));
    const local = this.local;
    const storage = await readStorage(this.#db, {
      local,
      storageLimitBytes: this.#o.storageLimitBytes,
      databaseSizeBytes: database.sizeBytes,
      signal,
      logger: this.#o.logger,
    });
    const host = local ? await part('host', () => this.#host.read()) : null;
    return {
      collectedAt: at,
      serverVersionNum: this.#versionNum,
      database,
      tables,
      indexes,
      wal,
      connections,
      xid,
      temp: stats?.temp ?? null,
      cache: stats?.cache ?? null,
      io,
      storage,
      host,
      errors,
    };
  }
}
