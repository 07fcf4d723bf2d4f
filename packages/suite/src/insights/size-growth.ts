import { type DatabaseCapacityManager, SERIES } from '@voicehive/db-capacity';
import type { SizeGrowth } from './page-sections.js';

const DAY = 86_400_000;

/**
 * Database size growth over 1, 7 and 30 days from the capacity sample
 * store (PgHero keeps its own space snapshots for this; the capacity
 * samples already are them). Null for a window the history does not reach.
 */
export async function sizeGrowth(manager: DatabaseCapacityManager, signal?: AbortSignal): Promise<SizeGrowth> {
  const now = Date.now();
  const samples = await manager.store.read(
    { metrics: [SERIES.databaseSize], since: new Date(now - 31 * DAY), until: new Date(now + 1) },
    { signal },
  );
  const latest = samples.at(-1);
  const database = [1, 7, 30].map((days) => {
    const from = now - days * DAY;
    // The window counts as covered when the oldest sample is within a tenth of its length of its start.
    const first = samples.find((s) => s.ts.getTime() >= from);
    const covered = samples.length > 0 && samples[0]!.ts.getTime() <= from + days * DAY * 0.1;
    return { days, bytes: latest && first && covered ? latest.value - first.value : null };
  });
  return { database, tables7d: new Map() };
}
