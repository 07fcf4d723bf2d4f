import type { Logger, Metrics } from '@voicehive/db-core';

export interface DurableSource {
  /** Component name, the `source` label of the refresh metrics. */
  name: string;
  refresh(signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Not waited for by `refresh()` (a slow status read must not hold up serving); still run each time. */
  background?: boolean;
}

/**
 * Re-derives metrics from durable state (backup catalog, migrations table,
 * sample store, audit table) at start and then every `intervalMs`, in the
 * process that serves /metrics, so a restart or a change made by another
 * process (a `dbrs migrate up`, a backup by another replica) shows up
 * without waiting for this process to do the work itself. A source that
 * fails keeps its last values and counts the failure; one slow source does
 * not hold up the others.
 */
export class DurableMetricsRefresher {
  readonly #sources: DurableSource[];
  readonly #logger: Logger;
  readonly #refreshes: ReturnType<Metrics['counter']>;
  readonly #lastRefresh: ReturnType<Metrics['gauge']>;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: { sources: DurableSource[]; metrics: Metrics; logger: Logger }) {
    this.#sources = options.sources;
    this.#logger = options.logger;
    this.#refreshes = options.metrics.counter({
      name: 'dbrs_metrics_refresh_total',
      help: 'Refreshes of metrics from durable state, by source and outcome.',
      labelNames: ['source', 'outcome'],
    });
    this.#lastRefresh = options.metrics.gauge({
      name: 'dbrs_metrics_refresh_timestamp_seconds',
      help: 'When metrics of each source were last derived from durable state (Unix seconds).',
      labelNames: ['source'],
    });
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** One refresh of every source; concurrent calls share it. */
  refresh(signal?: AbortSignal): Promise<void> {
    this.#running ??= this.#refreshAll(signal).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Refreshes now, then every `intervalMs` until `stop()`. */
  start(intervalMs: number): Promise<void> {
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.refresh(), intervalMs);
      this.#timer.unref();
    }
    return this.refresh();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await Promise.allSettled([this.#running, this.#background]);
  }

  #background: Promise<void> | undefined;

  async #refreshAll(outer?: AbortSignal): Promise<void> {
    const signal = outer ? AbortSignal.any([outer, this.#abort.signal]) : this.#abort.signal;
    const run = (sources: DurableSource[]) =>
      Promise.all(
        sources.map(async (s) => {
          try {
            const result = await s.refresh(signal);
            this.#refreshes.inc({ source: s.name, outcome: 'success' });
            this.#lastRefresh.set({ source: s.name }, Date.now() / 1000);
            this.#logger.debug({ event: 'metrics_refreshed', source: s.name, ...result }, 'metrics refreshed');
          } catch (err) {
            this.#refreshes.inc({ source: s.name, outcome: 'failure' });
            if (signal.aborted) return;
            this.#logger.warn(
              { event: 'metrics_refresh_failed', source: s.name, err },
              `${s.name} metrics could not be derived from durable state`,
            );
          }
        }),
      ).then(() => {});
    // One background run at a time; a run still going when the next is due is not doubled.
    this.#background ??= run(this.#sources.filter((s) => s.background)).finally(() => {
      this.#background = undefined;
    });
    await run(this.#sources.filter((s) => !s.background));
  }
}
