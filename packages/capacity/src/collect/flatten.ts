import type { StoredSample } from '../store/sample-store.js';
import type { CapacitySnapshot } from './types.js';

/**
 * Names of the stored series. Table series are `table_total_bytes:<schema>.<table>`,
 * index series `index_bytes:<schema>.<index>` (the largest of each, as sampled).
 */
export const SERIES = {
  databaseSize: 'database_size_bytes',
  storageUsed: 'storage_used_bytes',
  storageLimit: 'storage_limit_bytes',
  tablesTotal: 'tables_total_bytes',
  indexesTotal: 'indexes_total_bytes',
  rowsEstimate: 'rows_estimate_total',
  walPosition: 'wal_position_bytes',
  connectionsUsed: 'connections_used',
  connectionsUsable: 'connections_usable',
  xidAge: 'xid_age',
  tempBytes: 'temp_bytes_total',
  cacheHitRatio: 'cache_hit_ratio',
  ioReadBytes: 'io_read_bytes_total',
  ioWriteBytes: 'io_write_bytes_total',
  hostCpuPercent: 'host_cpu_percent',
  hostMemoryUsedPercent: 'host_memory_used_percent',
  tablePrefix: 'table_total_bytes:',
  indexPrefix: 'index_bytes:',
  /** `alert_active:<metric>:<level>`, 1 when the alert turned on, 0 when it cleared: hysteresis state shared by replicas. */
  alertPrefix: 'alert_active:',
} as const;

export function tableSeries(schema: string, name: string): string {
  return `${SERIES.tablePrefix}${schema}.${name}`;
}

export function indexSeries(schema: string, name: string): string {
  return `${SERIES.indexPrefix}${schema}.${name}`;
}

/** The snapshot as (metric, ts, value) rows; non-finite readings are left out rather than stored. */
export function snapshotToSamples(s: CapacitySnapshot): StoredSample[] {
  const ts = s.collectedAt;
  const out: StoredSample[] = [];
  const add = (metric: string, value: number | null | undefined) => {
    if (typeof value === 'number' && Number.isFinite(value)) out.push({ metric, ts, value });
  };
  add(SERIES.databaseSize, s.database.sizeBytes);
  add(SERIES.storageUsed, s.storage.usedBytes);
  add(SERIES.storageLimit, s.storage.limitBytes);
  add(SERIES.tablesTotal, s.tables.totalBytes);
  add(SERIES.indexesTotal, s.indexes.totalBytes);
  add(SERIES.rowsEstimate, s.tables.rowEstimate);
  add(SERIES.walPosition, s.wal?.positionBytes);
  add(SERIES.connectionsUsed, s.connections?.used);
  add(SERIES.connectionsUsable, s.connections?.usable);
  add(SERIES.xidAge, s.xid?.age);
  add(SERIES.tempBytes, s.temp?.bytesTotal);
  add(SERIES.cacheHitRatio, s.cache?.hitRatio);
  add(SERIES.ioReadBytes, s.io?.readBytes);
  add(SERIES.ioWriteBytes, s.io?.writeBytes);
  add(SERIES.hostCpuPercent, s.host?.cpuPercent);
  add(SERIES.hostMemoryUsedPercent, s.host?.memoryUsedPercent);
  for (const t of s.tables.top) add(tableSeries(t.schema, t.name), t.totalBytes);
  // Per-index history for the space page's growth columns (the collector already reads the largest indexes).
  for (const i of s.indexes.top) add(indexSeries(i.schema, i.name), i.bytes);
  return out;
}
