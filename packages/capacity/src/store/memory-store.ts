import {
  type MaintenanceResult,
  maintenanceCutoffs,
  type RetentionPolicy,
  type SampleQuery,
  type SampleStore,
  type StoredSample,
} from './sample-store.js';

type Resolution = 'raw' | 'hour' | 'day';

/** History in this process only: for tests, single-instance services and roles that may not create tables. */
export class MemorySampleStore implements SampleStore {
  readonly shared = false;
  readonly #series = new Map<string, Map<number, { value: number; resolution: Resolution }>>();

  async init(): Promise<void> {}

  async write(samples: readonly StoredSample[]): Promise<number> {
    let added = 0;
    for (const s of samples) {
      const t = s.ts.getTime();
      if (!Number.isFinite(t) || !Number.isFinite(s.value)) continue;
      let m = this.#series.get(s.metric);
      if (!m) {
        m = new Map();
        this.#series.set(s.metric, m);
      }
      if (m.has(t)) continue;
      m.set(t, { value: s.value, resolution: 'raw' });
      added++;
    }
    return added;
  }

  async read(q: SampleQuery): Promise<StoredSample[]> {
    const out: StoredSample[] = [];
    const names = [...this.#series.keys()].sort();
    for (const metric of names) {
      if (q.metrics && !q.metrics.includes(metric) && !(q.prefix && metric.startsWith(q.prefix))) continue;
      if (!q.metrics && q.prefix && !metric.startsWith(q.prefix)) continue;
      const rows = [...this.#series.get(metric)!.entries()].sort((a, b) => a[0] - b[0]);
      for (const [t, r] of rows) {
        if (q.since && t < q.since.getTime()) continue;
        if (q.until && t >= q.until.getTime()) continue;
        out.push({ metric, ts: new Date(t), value: r.value });
      }
    }
    return out;
  }

  async maintain(policy: RetentionPolicy, now: Date): Promise<MaintenanceResult> {
    const cut = maintenanceCutoffs(policy, now);
    let downsampled = 0;
    let deleted = 0;
    for (const m of this.#series.values()) {
      for (const [from, to, size] of [
        ['raw', 'hour', 3_600_000],
        ['hour', 'day', 86_400_000],
      ] as const) {
        const cutoff = (from === 'raw' ? cut.raw : cut.hourly).getTime();
        const buckets = new Map<number, number[]>();
        for (const [t, r] of m) {
          if (t >= cutoff || (r.resolution !== from && !(from === 'hour' && r.resolution === 'raw'))) continue;
          const b = Math.floor(t / size) * size;
          buckets.set(b, [...(buckets.get(b) ?? []), r.value]);
          m.delete(t);
          downsampled++;
        }
        for (const [b, vs] of buckets) m.set(b, { value: vs.reduce((a, v) => a + v, 0) / vs.length, resolution: to });
      }
      for (const t of [...m.keys()]) {
        if (t < cut.retention.getTime()) {
          m.delete(t);
          deleted++;
        }
      }
    }
    return { downsampled, deleted };
  }

  async close(): Promise<void> {
    this.#series.clear();
  }
}
