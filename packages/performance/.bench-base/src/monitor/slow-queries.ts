import { EventEmitter } from 'node:events';
import type { Logger } from '@voicehive/db-core';
import { readStatementShape } from '../advisor/parse-statement.js';

export type Severity = 'warning' | 'critical';

export interface SlowQueryEvent {
  /** pg_stat_statements queryid. */
  queryHash: string;
  /** Mean execution time over the window, ms. */
  durationMs: number;
  /** First table the statement reads, when it can be parsed. */
  table: string | null;
  severity: Severity;
  calls: number;
  /** Normalised text ($n placeholders only). */
  query: string;
  source: 'snapshot' | 'report';
}

export interface SlowQueryEvents {
  slowQuery: [SlowQueryEvent];
}

/** First table of a statement, for the `table` field of the log line. */
export function firstTable(query: string): string | null {
  const parsed = readStatementShape(query);
  if (!parsed.ok) return null;
  const t = parsed.shape.tables[0];
  return t ? (t.schema ? `${t.schema}.${t.name}` : t.name) : null;
}

/**
 * Classifies statements against the thresholds and announces each slow one
 * as an event and a `slow_query_detected` log line. Cumulative figures (the
 * report) announce a statement once per detector; snapshot deltas announce
 * every window in which it was slow.
 */
export class SlowQueryDetector extends EventEmitter<SlowQueryEvents> {
  readonly #announced = new Set<string>();
  constructor(
    private readonly thresholds: { warningMs: number; criticalMs: number },
    private readonly logger: Logger,
    private readonly onSlow?: (e: SlowQueryEvent) => void,
  ) {
    super();
  }

  severity(meanMs: number): Severity | undefined {
    if (meanMs >= this.thresholds.criticalMs) return 'critical';
    if (meanMs >= this.thresholds.warningMs) return 'warning';
    return undefined;
  }

  evaluate(
    entries: { queryid: string; query: string; calls: number; meanExecMs: number }[],
    source: 'snapshot' | 'report',
  ): SlowQueryEvent[] {
    const out: SlowQueryEvent[] = [];
    for (const e of entries) {
      const severity = this.severity(e.meanExecMs);
      if (!severity || e.calls <= 0) continue;
      const event: SlowQueryEvent = {
        queryHash: e.queryid,
        durationMs: Math.round(e.meanExecMs * 1000) / 1000,
        table: firstTable(e.query),
        severity,
        calls: e.calls,
        query: e.query,
        source,
      };
      out.push(event);
      const onceKey = `${e.queryid}:${severity}`;
      if (source === 'report' && this.#announced.has(onceKey)) continue;
      this.#announced.add(onceKey);
      // A report re-reads cumulative counters: that is a routine read, not an incident, so it logs at
      // info; a snapshot delta says the statement was slow in the last window, worth a warning or error.
      const level = source === 'report' ? 'info' : severity === 'critical' ? 'error' : 'warn';
      this.logger[level](
        {
          event: 'slow_query_detected',
          queryHash: event.queryHash,
          durationMs: event.durationMs,
          table: event.table,
          severity,
          calls: e.calls,
          source,
        },
        'slow query detected',
      );
      this.onSlow?.(event);
      this.emit('slowQuery', event);
    }
    return out;
  }
}
