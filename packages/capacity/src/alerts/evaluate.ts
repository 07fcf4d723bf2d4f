import { formatBytes } from '@voicehive/db-core/internal';
import type { AlertState, Rule } from './hysteresis.js';
import type { AlertThresholds, CapacityAlert, HysteresisOptions } from './types.js';

/** What the alert rules look at, per resource. Any field may be null when unknown. */
export interface AlertInputs {
  storage?: {
    usagePercent: number | null;
    daysUntilFull: number | null;
    usedBytes: number | null;
    limitBytes: number | null;
  };
  connections?: { usagePercent: number | null; used: number | null; max: number | null };
  xid?: { age: number | null; daysUntilWraparound: number | null };
}

function fmt(n: number, digits = 1): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(digits);
}

/**
 * Applies the capacity rules with hysteresis and returns the active alerts,
 * the most severe level per metric only (a critical alert replaces its warning).
 */
/** One threshold rule to evaluate: a reading against its warning and critical levels. */
interface Check {
  resource: string;
  metric: string;
  direction: 'above' | 'below';
  levels: { critical: number; warning: number };
  /** Where a fired alert clears (hysteresis), given its threshold. */
  margin: (threshold: number) => number;
  value: number | null;
  message: (level: 'warning' | 'critical', threshold: number, v: number) => string;
}

// Long: a table of five threshold checks, one check() call each; the logic is in check().
export function evaluateAlerts(
  inputs: AlertInputs,
  t: AlertThresholds,
  h: HysteresisOptions,
  state: AlertState,
): CapacityAlert[] {
  const alerts: CapacityAlert[] = [];
  const check = ({ resource, metric, direction, levels, margin, value, message }: Check) => {
    let fired: CapacityAlert | undefined;
    for (const level of ['critical', 'warning'] as const) {
      const threshold = levels[level];
      if (!Number.isFinite(threshold)) continue;
      const rule: Rule = { metric, direction, level, threshold, clearAt: margin(threshold) };
      const active = state.update(rule, value);
      if (active && !fired) {
        // A held alert may report the last finite reading when the current one is missing.
        const v = value ?? threshold;
        fired = { type: level, metric, resource, message: message(level, threshold, v), value: v, threshold };
      }
    }
    if (fired) alerts.push(fired);
  };

  const s = inputs.storage;
  if (s) {
    check({
      resource: 'storage',
      metric: 'storage_usage_percent',
      direction: 'above',
      levels: { warning: t.warningPercent, critical: t.criticalPercent },
      margin: (th) => th - h.percentPoints,
      value: s.usagePercent,
      message: (level, th, v) =>
        `Storage is ${fmt(v)}% full${s.usedBytes !== null && s.limitBytes !== null ? ` (${formatBytes(s.usedBytes)} of ${formatBytes(s.limitBytes)})` : ''}, at or above the ${level} threshold of ${th}%.`,
    });
    // No forecast (not growing) counts as "far away", so a held days alert can clear.
    const days = s.daysUntilFull === null ? Number.MAX_SAFE_INTEGER : s.daysUntilFull;
    check({
      resource: 'storage',
      metric: 'storage_days_until_full',
      direction: 'below',
      levels: { warning: t.daysWarning, critical: t.daysCritical },
      margin: (th) => th * (1 + h.daysFraction),
      value: days,
      message: (level, th, v) =>
        `Storage is forecast to be full in ${fmt(v)} days (pessimistic bound), under the ${level} threshold of ${th} days.`,
    });
  }
  const c = inputs.connections;
  if (c) {
    check({
      resource: 'connections',
      metric: 'connections_usage_percent',
      direction: 'above',
      levels: { warning: t.connectionsWarningPercent, critical: t.connectionsCriticalPercent },
      margin: (th) => th - h.percentPoints,
      value: c.usagePercent,
      message: (level, th, v) =>
        `${c.used ?? '?'} of ${c.max ?? '?'} usable connections are in use (${fmt(v)}%), at or above the ${level} threshold of ${th}%.`,
    });
  }
  const x = inputs.xid;
  if (x) {
    check({
      resource: 'xid',
      metric: 'xid_age',
      direction: 'above',
      levels: { warning: t.xidAgeWarning, critical: t.xidAgeCritical },
      margin: (th) => th * (1 - h.xidFraction),
      value: x.age,
      message: (level, th, v) =>
        `The oldest unfrozen transaction id is ${fmt(v)} transactions old, beyond the ${level} threshold of ${fmt(th)}; VACUUM (FREEZE) the oldest tables before wraparound.`,
    });
    const days = x.daysUntilWraparound === null ? Number.MAX_SAFE_INTEGER : x.daysUntilWraparound;
    check({
      resource: 'xid',
      metric: 'xid_days_until_wraparound',
      direction: 'below',
      levels: { warning: t.daysWarning, critical: t.daysCritical },
      margin: (th) => th * (1 + h.daysFraction),
      value: days,
      message: (level, th, v) =>
        `Transaction-id wraparound is forecast in ${fmt(v)} days (pessimistic bound), under the ${level} threshold of ${th} days.`,
    });
  }
  return alerts;
}
