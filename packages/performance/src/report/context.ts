import type { Database } from '@voicehive/db-core';
import { errorMessage, isDbrsError, type Logger, type QueryOptions, throwIfAborted } from '@voicehive/db-core';
import type pg from 'pg';
import type { SqlRunner } from '../catalog/catalog.js';
import type { Capabilities } from '../monitor/capabilities.js';
import type { ResolvedOptions } from '../options.js';

/**
 * The report's reads, counted, and sent one at a time. Stages still run
 * side by side (fork/join), but their queries share one pooled connection:
 * a new server backend pays a page fault for every 4 kB of shared buffers it
 * touches first (~55 us each on the 2-core VM measured; bench/performance
 * RESULTS.md), so two connections that both scan the catalog of 10,000
 * tables cost more than one that scans it twice. Side by side, a fresh
 * report at 10,000 tables took a median 1,873 ms this way against 2,195 ms
 * with one connection per concurrent read (8 interleaved pairs, load ~6). A
 * monitoring read should not open many connections on the server anyway.
 */
export class CountingRunner implements SqlRunner {
  count = 0;
  #busy = false;
  readonly #waiting: Array<() => void> = [];
  constructor(private readonly db: Database) {}
  async query<R extends Record<string, unknown>>(
    text: string,
    values?: unknown[],
    options?: QueryOptions,
  ): Promise<{ rows: R[] }> {
    this.count++;
    if (this.#busy) await new Promise<void>((r) => this.#waiting.push(r));
    this.#busy = true;
    try {
      return await this.db.query<R & pg.QueryResultRow>(text, values, options);
    } finally {
      // Hand the connection's turn straight to the next waiting read, if any.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#busy = false;
    }
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
  /**
   * The same context with its own warning list, for a stage that runs while another one does: `join()` appends
   * its warnings where the stage would have added them had it run alone, so their order does not depend on timing.
   */
  fork(): ReportContext & { join(): void };
}

export function createReportContext(input: {
  db: Database;
  caps: Capabilities;
  opts: ResolvedOptions;
  logger: Logger;
  signal: AbortSignal | undefined;
  /** Shared with the context this one was forked from (one round-trip count and one timings record per report). */
  runner?: CountingRunner;
  timings?: Record<string, number>;
}): ReportContext {
  const warnings: string[] = [];
  const timings: Record<string, number> = input.timings ?? {};
  const runner = input.runner ?? new CountingRunner(input.db);
  const { signal, logger } = input;
  return {
    db: input.db,
    caps: input.caps,
    opts: input.opts,
    logger,
    signal,
    runner,
    warnings,
    timings,
    fork() {
      const child = createReportContext({ ...input, runner, timings });
      return { ...child, join: () => warnings.push(...child.warnings) };
    },
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
