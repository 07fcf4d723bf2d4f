import type { CapacityAlert } from './alerts/types.js';
import type { CapacitySnapshot } from './collect/types.js';
import type { ChangePoint, DaysUntil, SeriesForecast } from './forecast/forecast.js';

export type CapacityResource = 'storage' | 'database_size' | 'connections' | 'xid' | 'wal' | `table:${string}`;

export interface CapacityForecast extends SeriesForecast {
  resource: CapacityResource;
  /** The stored series the forecast was fitted to. */
  metric: string;
  unit: 'bytes' | 'connections' | 'transactions';
}

export interface CapacityTrend {
  resource: CapacityResource;
  metric: string;
  unit: CapacityForecast['unit'];
  current: number | null;
  /** Change over the last 1, 7 and 30 days (PgHero's "growth"); null when history does not reach back. */
  change1d: number | null;
  change7d: number | null;
  change30d: number | null;
}

export interface CapacityDashboardData {
  current: CapacitySnapshot;
  trends: CapacityTrend[];
  forecasts: CapacityForecast[];
  /** The largest tables by how soon their own growth fills the free storage (first = fills the disk). */
  tables: TableOutlook[];
  alerts: CapacityAlert[];
  generatedAt: Date;
}

/** One of the largest tables, and how soon its own growth would fill the free storage. */
export interface TableOutlook {
  /** `schema.table`. */
  table: string;
  currentBytes: number | null;
  growthPerDay: number | null;
  /** This table's share of the storage's growth per day, %; null when storage is not growing or unknown. */
  shareOfGrowthPercent: number | null;
  /**
   * Days until this table alone has grown by the storage's free space (its forecast path against
   * current size + free bytes). The first table in the list is the one that fills the disk.
   */
  daysUntilDiskFull: DaysUntil;
  changePoints: ChangePoint[];
  model: CapacityForecast['model'];
  status: CapacityForecast['status'];
}
