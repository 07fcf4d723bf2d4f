export interface StoredSample {
  /** Series name, e.g. `database_size_bytes` or `table_total_bytes:public.bookings`. */
  metric: string;
  ts: Date;
  value: number;
}

export interface SampleQuery {
  /** Exact series names. */
  metrics?: readonly string[];
  /** Every series whose name starts with this. */
  prefix?: string;
  /** Inclusive lower bound. */
  since?: Date;
  /** Exclusive upper bound. */
  until?: Date;
}

/** How long history is kept, and at what resolution. */
export interface RetentionPolicy {
  /** Samples older than this are deleted. Default 400 days (a year plus a season to compare). */
  retentionDays: number;
  /** Raw samples are kept this long, then averaged per hour. Default 14 days. */
  rawDays: number;
  /** Hourly averages are kept this long, then averaged per day (UTC). Default 90 days. */
  hourlyDays: number;
}

export interface MaintenanceResult {
  /** Rows replaced by hourly or daily averages. */
  downsampled: number;
  /** Rows past retention, deleted. */
  deleted: number;
}

export interface StoreCallOptions {
  signal?: AbortSignal;
}

/**
 * Where capacity history lives. Implementations: `PostgresSampleStore`
 * (shared by every replica, so writes go through the leader lock) and
 * `MemorySampleStore` (one process). A (metric, ts) pair is stored once:
 * writing it again is ignored, not an error.
 */
export interface SampleStore {
  /** True when several processes share this store, so only the leader should write. */
  readonly shared: boolean;
  init(options?: StoreCallOptions): Promise<void>;
  /** Resolves to how many samples were new. */
  write(samples: readonly StoredSample[], options?: StoreCallOptions): Promise<number>;
  /** Samples in (metric, ts) order. */
  read(query: SampleQuery, options?: StoreCallOptions): Promise<StoredSample[]>;
  maintain(policy: RetentionPolicy, now: Date, options?: StoreCallOptions): Promise<MaintenanceResult>;
  close(): Promise<void>;
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({
  retentionDays: 400,
  rawDays: 14,
  hourlyDays: 90,
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Cutoffs fall on whole hours / UTC days so that a bucket is never split across two maintenance runs. */
export function maintenanceCutoffs(policy: RetentionPolicy, now: Date) {
  const t = now.getTime();
  return {
    raw: new Date(Math.floor((t - policy.rawDays * DAY) / HOUR) * HOUR),
    hourly: new Date(Math.floor((t - policy.hourlyDays * DAY) / DAY) * DAY),
    retention: new Date(t - policy.retentionDays * DAY),
  };
}
