export interface RelationSize {
  schema: string;
  name: string;
  /** pg_total_relation_size: heap + indexes + TOAST. */
  totalBytes: number;
  /** pg_table_size: heap + TOAST + FSM/VM, without indexes. */
  tableBytes: number;
  indexBytes: number;
  /** pg_class.reltuples (0 when never analysed). */
  rowEstimate: number;
}

export interface IndexSize {
  schema: string;
  table: string;
  name: string;
  bytes: number;
}

export interface StorageReading {
  /** `filesystem`: statfs of the data directory; `configured`: storageLimitBytes; `unknown`: neither. */
  source: 'filesystem' | 'configured' | 'unknown';
  usedBytes: number;
  limitBytes: number | null;
  availableBytes: number | null;
  usagePercent: number | null;
  dataDirectory?: string;
}

export interface HostReading {
  /** Busy CPU share since the previous sample, %; null on the first sample. */
  cpuPercent: number | null;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  memoryUsedPercent: number;
  /** Cumulative bytes read from / written to block devices since boot. */
  diskReadBytes: number;
  diskWriteBytes: number;
  loadAverage1m: number;
}

export interface CapacitySnapshot {
  collectedAt: Date;
  serverVersionNum: number;
  database: { name: string; sizeBytes: number };
  tables: {
    count: number;
    totalBytes: number;
    tableBytes: number;
    indexBytes: number;
    rowEstimate: number;
    top: RelationSize[];
  };
  indexes: { count: number; totalBytes: number; top: IndexSize[] };
  wal: { positionBytes: number; bytesSinceLast: number | null; bytesPerSecond: number | null } | null;
  connections: {
    used: number;
    max: number;
    reserved: number;
    usable: number;
    usagePercent: number;
    byState: Record<string, number>;
  } | null;
  xid: { age: number; database: string; currentDatabaseAge: number } | null;
  temp: { bytesTotal: number; files: number } | null;
  cache: { hitRatio: number | null; blocksHit: number; blocksRead: number } | null;
  io: { source: 'pg_stat_io' | 'pg_stat_database'; readBytes: number; writeBytes: number | null } | null;
  storage: StorageReading;
  host: HostReading | null;
  /** Parts that could not be read (a permission, a view missing on this version); the rest is still valid. */
  errors: { part: string; message: string }[];
}
