import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

export interface CreateMetricsOptions {
  /** The caller's registry. Default: a new private Registry (never the global one). */
  registry?: Registry;
  /** Prepended to every metric name. Default `'voicehive_'`. */
  prefix?: string;
  /** Labels added to every series (service, environment…). */
  defaultLabels?: Record<string, string>;
  /** Also collect Node process metrics (with the prefix). Default false. */
  collectProcessMetrics?: boolean;
}

type Named<T> = Omit<T, 'name' | 'registers'> & { name: string };

/**
 * The suite's metrics, registered on an injected prom-client Registry under a
 * prefix. Creation is get-or-create: two components asking for the same
 * metric share it, instead of prom-client throwing "already registered".
 */
export class Metrics {
  readonly registry: Registry;
  readonly prefix: string;

  constructor(options: CreateMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.prefix = options.prefix ?? 'voicehive_';
    if (options.defaultLabels) this.registry.setDefaultLabels(options.defaultLabels);
    if (options.collectProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: this.prefix });
  }

  counter<L extends string = string>(config: Named<CounterConfiguration<L>>): Counter<L> {
    return this.#getOrCreate(config.name, () => new Counter<L>(this.#withName(config)));
  }

  gauge<L extends string = string>(config: Named<GaugeConfiguration<L>>): Gauge<L> {
    return this.#getOrCreate(config.name, () => new Gauge<L>(this.#withName(config)));
  }

  histogram<L extends string = string>(config: Named<HistogramConfiguration<L>>): Histogram<L> {
    return this.#getOrCreate(config.name, () => new Histogram<L>(this.#withName(config)));
  }

  /** Prometheus text exposition of everything in the registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #withName<C extends { name: string }>(config: C): C & { name: string; registers: Registry[] } {
    return { ...config, name: `${this.prefix}${config.name}`, registers: [this.registry] };
  }

  #getOrCreate<M>(name: string, create: () => M): M {
    const existing = this.registry.getSingleMetric(`${this.prefix}${name}`);
    return (existing as M | undefined) ?? create();
  }
}

export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  return new Metrics(options);
}
