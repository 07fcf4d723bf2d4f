import type { DaysUntil } from './forecast/forecast.js';
import type { CapacityForecast, TableOutlook } from './types.js';

export type { TableOutlook } from './types.js';

const order = (d: DaysUntil) => d.expected ?? Number.POSITIVE_INFINITY;

/**
 * The per-table answer to "which table fills the disk, and when": each table
 * forecast was fitted with a limit of its size plus the free space, so its
 * days-until-limit is the day its growth alone would use that space up.
 * Sorted soonest first, then by growth.
 */
export function tableOutlook(forecasts: readonly CapacityForecast[]): TableOutlook[] {
  const storage = forecasts.find((f) => f.resource === 'storage');
  const storageGrowth = storage?.growthPerDay ?? null;
  return forecasts
    .filter((f) => f.resource.startsWith('table:'))
    .map((f) => ({
      table: f.resource.slice('table:'.length),
      currentBytes: f.current,
      growthPerDay: f.growthPerDay,
      shareOfGrowthPercent:
        storageGrowth !== null && storageGrowth > 0 && f.growthPerDay !== null
          ? (100 * f.growthPerDay) / storageGrowth
          : null,
      daysUntilDiskFull: f.daysUntilLimit,
      changePoints: f.changePoints,
      model: f.model,
      status: f.status,
    }))
    .sort(
      (a, b) =>
        order(a.daysUntilDiskFull) - order(b.daysUntilDiskFull) || (b.growthPerDay ?? 0) - (a.growthPerDay ?? 0),
    );
}
