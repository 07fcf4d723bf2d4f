import type { Metrics } from '@voicehive/db-core';

type Counter = ReturnType<Metrics['counter']>;
type Gauge = ReturnType<Metrics['gauge']>;

export interface WalMetrics {
  pushes: Counter;
  conflicts: Counter;
  fetches: Counter;
  windowSeconds: Gauge;
  gaps: Gauge;
}

const cache = new WeakMap<Metrics, WalMetrics>();

/** WAL archive metrics (`voicehive_` prefix from Metrics); one set per registry. */
export function walMetrics(m: Metrics): WalMetrics {
  let set = cache.get(m);
  if (!set) {
    set = {
      pushes: m.counter({
        name: 'wal_push_total',
        help: 'WAL files handed to archiving, by outcome (stored, already-archived, conflict, failed)',
        labelNames: ['outcome'],
      }),
      conflicts: m.counter({
        name: 'wal_push_conflicts_total',
        help: 'WAL pushes refused because a different file is archived under the same name',
      }),
      fetches: m.counter({
        name: 'wal_fetch_total',
        help: 'WAL files asked for by restore, by outcome (fetched, missing, failed)',
        labelNames: ['outcome'],
      }),
      windowSeconds: m.gauge({
        name: 'backup_pitr_window_seconds',
        help: 'Length of the point-in-time recovery window: newest recoverable moment minus the earliest, per timeline',
        labelNames: ['timeline'],
      }),
      gaps: m.gauge({
        name: 'wal_archive_gap',
        help: 'Missing WAL segments between the oldest retained base backup and the newest archived segment',
        labelNames: ['timeline'],
      }),
    };
    cache.set(m, set);
  }
  return set;
}
