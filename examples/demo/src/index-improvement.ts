import type { Database } from '@voicehive/db-core';
import { runHotelWorkload } from '@voicehive/db-testing';

export interface Improvement {
  beforeMs: number;
  afterMs: number;
  created: string[];
}

/**
 * Measures the read workload before and after creating the recommended
 * indexes for real (CREATE INDEX CONCURRENTLY), best of three runs each so
 * one noisy run does not decide the number.
 */
export async function measureIndexImprovement(
  url: string,
  db: Database,
  createSql: string[],
  iterations = 5,
): Promise<Improvement> {
  const best = async () => {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++)
      min = Math.min(min, (await runHotelWorkload(url, { iterations, includeWrites: false, seed: 11 })).durationMs);
    return min;
  };
  await runHotelWorkload(url, { iterations: 1, includeWrites: false, seed: 11 }); // warm the cache
  const beforeMs = await best();
  const created: string[] = [];
  for (const sql of createSql) {
    await db.query(sql);
    created.push(sql);
  }
  await db.query('ANALYZE');
  const afterMs = await best();
  return { beforeMs, afterMs, created };
}
