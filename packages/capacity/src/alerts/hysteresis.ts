import type { AlertType } from './types.js';

export interface Rule {
  /** Key of the alert's state, e.g. `storage_usage_percent`. */
  metric: string;
  /** `above`: higher is worse (usage). `below`: lower is worse (days until full). */
  direction: 'above' | 'below';
  level: AlertType;
  threshold: number;
  /** The value must move this far back past the threshold before the alert clears. */
  clearAt: number;
}

/**
 * Remembers which alerts are active so that a value hovering at a threshold
 * fires once and stays fired until it is clearly back, instead of flapping on
 * every sample. The manager loads it from the sample store before each
 * evaluation and stores the transitions after (`alert-store.ts`), so replicas
 * and restarts agree.
 */
export class AlertState {
  readonly #active = new Set<string>();

  /** Replaces the state with these active keys (`<metric>:<level>`), e.g. as read back from the store. */
  replace(keys: Iterable<string>): void {
    this.#active.clear();
    for (const k of keys) this.#active.add(k);
  }

  /** `value` null means "no reading": an active alert stays as it was. */
  update(rule: Rule, value: number | null): boolean {
    const key = `${rule.metric}:${rule.level}`;
    const was = this.#active.has(key);
    if (value === null || !Number.isFinite(value)) return was;
    let now: boolean;
    if (rule.direction === 'above') now = was ? value >= rule.clearAt : value >= rule.threshold;
    else now = was ? value <= rule.clearAt : value < rule.threshold;
    if (now) this.#active.add(key);
    else this.#active.delete(key);
    return now;
  }

  clear(metric: string): void {
    for (const key of [...this.#active]) if (key.startsWith(`${metric}:`)) this.#active.delete(key);
  }

  get activeKeys(): string[] {
    return [...this.#active].sort();
  }
}
