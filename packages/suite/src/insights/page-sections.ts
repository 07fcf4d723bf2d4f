import { readIndexSizes } from '@voicehive/db-capacity';
import type { Database } from '@voicehive/db-core';
import { errorMessage } from '@voicehive/db-core';
import { readLiveSessions } from '../insights/activity.js';
import { readConnections } from '../insights/connections.js';
import { readSettings } from '../insights/settings.js';
import { readTableMaintenance } from '../insights/tables.js';
import type { PageSectionsData } from '../status/types.js';

/** What the performance and capacity components add to the sections, when they are there. */
export interface SectionSources {
  performance?: (signal: AbortSignal) => Promise<PerformanceSections>;
  growth?: (signal: AbortSignal) => Promise<SizeGrowth>;
}

export type PerformanceSections = {
  queries: NonNullable<PageSectionsData['queries']>;
  unusedIndexes: NonNullable<PageSectionsData['space']>['unusedIndexes'];
  duplicateIndexes: NonNullable<PageSectionsData['space']>['duplicateIndexes'];
  sequences: NonNullable<PageSectionsData['maintenance']>['sequences'];
  wraparound: NonNullable<PageSectionsData['maintenance']>['wraparound'];
  bloat: NonNullable<PageSectionsData['maintenance']>['bloat'];
};

export type SizeGrowth = {
  database: Array<{ days: number; bytes: number | null }>;
  /** `schema.table` → bytes grown over 1, 7 and 30 days (null where the history does not reach). */
  tables: Map<string, Array<{ days: number; bytes: number | null }>>;
  /** `schema.index` → the same, for the indexes the capacity task samples. */
  indexes: Map<string, Array<{ days: number; bytes: number | null }>>;
};

/**
 * Reads every section; one that fails is left out with the reason in
 * `unavailable`, so a missing privilege hides one table, not the page.
 */
export async function collectPageSections(options: {
  database: Database;
  excludeApplication: string;
  pool: { total: number; idle: number; waiting: number; max: number };
  sources: SectionSources;
  signal: AbortSignal;
}): Promise<{ sections: PageSectionsData; unavailable: Record<string, string> }> {
  const { database: db, signal } = options;
  const unavailable: Record<string, string> = {};
  const safe = async <T>(key: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      unavailable[key] = errorMessage(err);
      return undefined;
    }
  };
  const [live, tables, connections, settings, dbSize, indexes, perf, growth] = await Promise.all([
    safe('live', () => readLiveSessions(db, { excludeApplication: options.excludeApplication, signal })),
    safe('maintenance', () => readTableMaintenance(db, { limit: 50, signal })),
    safe('connections', () => readConnections(db, { signal })),
    safe('settings', () => readSettings(db, { signal })),
    safe('space', async () =>
      Number(
        (await db.query<{ b: string }>('SELECT pg_database_size(current_database()) AS b', [], { signal })).rows[0]!.b,
      ),
    ),
    safe('indexes', async () => (await readIndexSizes(db, { topN: 20, signal })).top),
    options.sources.performance ? safe('queries', () => options.sources.performance!(signal)) : undefined,
    options.sources.growth ? safe('growth', () => options.sources.growth!(signal)) : undefined,
  ]);
  const sections: PageSectionsData = {};
  if (perf) sections.queries = perf.queries;
  if (live) sections.live = live;
  if (tables && dbSize !== undefined)
    sections.space = {
      databaseBytes: dbSize,
      growth: growth?.database ?? [1, 7, 30].map((days) => ({ days, bytes: null })),
      tables: tables.slice(0, 20).map((t) => {
        const g = growth?.tables.get(`${t.schema}.${t.table}`);
        return g === undefined ? t : { ...t, growth: g };
      }),
      ...(indexes
        ? {
            indexes: indexes.map((i) => {
              const g = growth?.indexes.get(`${i.schema}.${i.name}`);
              return { schema: i.schema, table: i.table, index: i.name, bytes: i.bytes, ...(g ? { growth: g } : {}) };
            }),
          }
        : {}),
      unusedIndexes: perf?.unusedIndexes ?? [],
      duplicateIndexes: perf?.duplicateIndexes ?? [],
    };
  if (tables)
    sections.maintenance = {
      // Copies: the page's redact() replaces an object it meets a second time (space lists the same rows).
      tables: [...tables]
        .sort((a, b) => b.deadRows - a.deadRows)
        .slice(0, 20)
        .map((t) => ({ ...t })),
      sequences: perf?.sequences ?? [],
      wraparound: perf?.wraparound ?? null,
      bloat: perf?.bloat ?? [],
    };
  if (connections) sections.connections = { ...connections, pool: options.pool };
  if (settings) sections.settings = settings;
  return { sections, unavailable };
}
