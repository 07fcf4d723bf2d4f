import { DbrsError, throwIfAborted } from '@voicehive/db-core';
import { withClient } from '../internal/pg-client.js';
import { readHotelWorkloadInfo } from './data.js';
import { type HotelQuery, hotelQueries } from './queries.js';
import { createRandom } from './random.js';

export interface RunHotelWorkloadOptions {
  /** Passes over the statement list; each pass runs every selected statement once. Default 10. */
  iterations?: number;
  /** Seed for the parameters. Default 1. */
  seed?: number;
  /** Include the INSERT/UPDATE statements. Default true. */
  includeWrites?: boolean;
  /** Run only these statements (by name). Default all of hotelQueries. */
  only?: readonly string[];
  signal?: AbortSignal;
}

export interface HotelWorkloadRun {
  statements: number;
  durationMs: number;
  /** Executions per statement name. */
  calls: Record<string, number>;
}

/**
 * Runs hotelQueries against a database loaded by loadHotelWorkload, so
 * pg_stat_statements (and pg_qualstats) see a realistic mix. Parameters are
 * sent separately, so each statement is one normalised entry.
 */
export async function runHotelWorkload(url: string, options: RunHotelWorkloadOptions = {}): Promise<HotelWorkloadRun> {
  const iterations = options.iterations ?? 10;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new DbrsError('INVALID_ARGUMENT', `iterations must be a non-negative integer; got ${String(iterations)}.`);
  }
  const info = await readHotelWorkloadInfo(url);
  if (!info) {
    throw new DbrsError('NOT_FOUND', 'This database has no hotel workload.', {
      hint: 'Call loadHotelWorkload(url) first.',
    });
  }
  const selected: HotelQuery[] = hotelQueries.filter(
    (query) =>
      (options.includeWrites !== false || query.kind === 'read') &&
      (options.only === undefined || options.only.includes(query.name)),
  );
  const rng = createRandom(options.seed ?? 1);
  const calls: Record<string, number> = {};
  const started = Date.now();
  let statements = 0;
  await withClient(
    url,
    async (client) => {
      for (let i = 0; i < iterations; i++) {
        for (const query of selected) {
          throwIfAborted(options.signal, 'workload run');
          await client.query(query.sql, query.params(rng, info));
          calls[query.name] = (calls[query.name] ?? 0) + 1;
          statements++;
        }
      }
    },
    options.signal ? { signal: options.signal, what: 'workload run' } : {},
  );
  return { statements, durationMs: Date.now() - started, calls };
}
