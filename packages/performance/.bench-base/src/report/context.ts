import type { Database } from '@voicehive/db-core';
import { errorMessage, isDbrsError, type Logger, type QueryOptions, throwIfAborted } from '@voicehive/db-core';
import type pg from 'pg';
import type { SqlRunner } from '../catalog/catalog.js';
import type { Capabilities } from '../monitor/capabilities.js';
import type { ResolvedOptions } from '../options.js';

/** Counts the pool's round trips for the report. */
export class CountingRunner implements SqlRunner {
  count = 0;
  constructor(private readonly db: Database) {}
  async query<R extends Record<string, unknown>>(
    text: string,
    values?: unknown[],
    options?: QueryOptions,
  ): Promise<{ rows: R[] }> {
    this.count++;
    return this.db.query<R & pg.QueryResultRow>(text, values, options);
  }
}

/** What every report stage shares: where to read, what is configured, and where warnings and timings go. */
export interface ReportContext {
  db: Database;
  runner: CountingRunner;
  caps: Capabilities;
  opts: ResolvedOptions;
  logger: Logger;
  signal: AbortSignal | undefined;
  warnings: string[];
  timings: Record<string, number>;
  /** Runs one section: timed; a failure becomes a warning and the fallback, except an abort. */
  section<T>(name: string, fn: () => Promise<T>, fallback: T): Promise<T>;
}

export function createReportContext(input: {
  db: Database;
  caps: Capabilities;
  opts: ResolvedOptions;
  logger: Logger;
  signal: AbortSignal | undefined;
}): ReportContext {
  const warnings: string[] = [];
  const timings: Record<string, number> = {};
  const { signal, logger } = input;
  return {
    ...input,
    runner: new CountingRunner(input.db),
    warnings,
    timings,
    async section<T>(name: string, fn: () => Promise<T>, fallback: T): Promise<T> {
      throwIfAborted(signal, 'performance report');
      const started = performance.now();
      try {
        return await fn();
      } catch (err) {
        if (isDbrsError(err, 'ABORTED')) throw err;
        const message = errorMessage(err);
        warnings.push(`${name}: ${message}`);
        logger.warn({ event: 'report_section_failed', section: name, err }, 'report section failed');
        return fallback;
      } finally {
        timings[name] = Math.round((performance.now() - started) * 10) / 10;
      }
    },
  };
}

/** `{ signal }` when there is one (exactOptionalPropertyTypes). */
export const withSignal = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal ? { signal } : {});
