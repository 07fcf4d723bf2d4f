import { SERIES } from '../collect/flatten.js';
import type { StoredSample } from '../store/sample-store.js';

/**
 * Hysteresis state kept with the samples: each transition is a sample
 * `alert_active:<metric>:<level>` with value 1 (fired) or 0 (cleared). The
 * latest row per key is the state, so a restarted manager or another replica
 * reading the same store continues where the last evaluation left off. No
 * extra table or grant is needed; downsampling may average a key's rows
 * within an hour, so a value ≥ 0.5 reads as active. The rows come from the
 * dashboard's one history read (120 days by default): an alert whose last
 * transition is older than that reads as inactive and is re-judged against
 * its threshold.
 */
export function activeAlertKeys(rows: readonly StoredSample[]): Set<string> {
  const latest = new Map<string, StoredSample>();
  for (const r of rows) {
    if (!r.metric.startsWith(SERIES.alertPrefix)) continue;
    const prev = latest.get(r.metric);
    if (!prev || r.ts.getTime() >= prev.ts.getTime()) latest.set(r.metric, r);
  }
  const active = new Set<string>();
  for (const [metric, r] of latest) if (r.value >= 0.5) active.add(metric.slice(SERIES.alertPrefix.length));
  return active;
}

/** Samples for the keys that changed between `before` and `after`. */
export function alertTransitions(before: ReadonlySet<string>, after: readonly string[], at: Date): StoredSample[] {
  const now = new Set(after);
  const out: StoredSample[] = [];
  for (const k of now) if (!before.has(k)) out.push({ metric: `${SERIES.alertPrefix}${k}`, ts: at, value: 1 });
  for (const k of before) if (!now.has(k)) out.push({ metric: `${SERIES.alertPrefix}${k}`, ts: at, value: 0 });
  return out;
}
