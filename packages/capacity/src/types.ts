import type { CapacityAlert } from './alerts/types.js';
import type { CapacitySnapshot } from './collect/types.js';
import type { SeriesForecast } from './forecast/forecast.js';
import type { TableOutlook } from './table-outlook.js';

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
