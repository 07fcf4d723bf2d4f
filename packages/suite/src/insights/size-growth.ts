import { type DatabaseCapacityManager, SERIES } from '@voicehive/db-capacity';
import { GROWTH_WINDOWS } from '../status/types.js';
import type { SizeGrowth } from './page-sections.js';

const DAY = 86_400_000;

type Sample = { ts: Date; value: number };

/**
 * Growth over each window from one series' samples (oldest first): the
 * latest value minus the first one inside the window. A window counts as
 * covered when the oldest sample is within a tenth of its length of its
 * start; otherwise null (the history does not reach back that far).
 */
export function growthOver(samples: readonly Sample[], now: number): Array<{ days: number; bytes: number | null }> {
  const latest = samples.at(-1);
  return GROWTH_WINDOWS.map((days) => {
    const from = now - days * DAY;
    const first = samples.find((s) => s.ts.getTime() >= from);
    const covered = samples.length > 0 && samples[0]!.ts.getTime() <= from + days * DAY * 0.1;
    return { days, bytes: latest && first && covered ? latest.value - first.value : null };
  });
}

/**
 * Database, per-table and per-index size growth over 1, 7 and 30 days from
 * the capacity sample store (PgHero keeps its own space snapshots for this;
 * the capacity samples already are them: `table_total_bytes:<schema>.<table>`
 * and `index_bytes:<schema>.<index>` for the largest each sample lists).
 */
export async function sizeGrowth(manager: DatabaseCapacityManager, signal?: AbortSignal): Promise<SizeGrowth> {
  return sizeGrowthFrom(manager.store, Date.now(), signal);
}

export async function sizeGrowthFrom(
  store: DatabaseCapacityManager['store'],
  now: number,
  signal?: AbortSignal,
): Promise<SizeGrowth> {
  const range = { since: new Date(now - 31 * DAY), until: new Date(now + 1) };
  const [database, tables, indexes] = await Promise.all([
    store.read({ metrics: [SERIES.databaseSize], ...range }, { signal }),
    store.read({ prefix: SERIES.tablePrefix, ...range }, { signal }),
    store.read({ prefix: SERIES.indexPrefix, ...range }, { signal }),
  ]);
  return {
    database: growthOver(database, now),
    tables: growthByName(tables, SERIES.tablePrefix, now),
    indexes: growthByName(indexes, SERIES.indexPrefix, now),
  };
}

/** `schema.name` → growth, from the samples of every series under one prefix. */
function growthByName(
  samples: ReadonlyArray<Sample & { metric: string }>,
  prefix: string,
  now: number,
): Map<string, Array<{ days: number; bytes: number | null }>> {
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const name = s.metric.slice(prefix.length);
    const list = byName.get(name) ?? [];
    list.push(s);
    byName.set(name, list);
  }
  return new Map([...byName].map(([name, list]) => [name, growthOver(list, now)]));
}
