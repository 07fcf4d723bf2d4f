import { DbrsError } from '../errors.js';
import { errorMessage } from '../util/error-message.js';
import { redactString } from '../util/redact.js';
import { withTimeout } from '../util/with-timeout.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface CheckOutcome {
  /** Default 'healthy' when the check resolves without a status. */
  status?: HealthStatus;
  message?: string;
  details?: Record<string, unknown>;
}

export interface HealthCheck {
  name: string;
  /** A failing critical check makes the whole report unhealthy; others only degrade it. Default true. */
  critical?: boolean;
  /** Longest the check may take, in ms; a slow check counts as failed. Default 5,000. */
  timeoutMs?: number;
  check: (signal: AbortSignal) => Promise<CheckOutcome | void>;
}

export interface CheckResult {
  name: string;
  status: HealthStatus;
  critical: boolean;
  durationMs: number;
  message?: string;
  details?: Record<string, unknown>;
}

export interface HealthReport {
  status: HealthStatus;
  checks: CheckResult[];
  generatedAt: string;
}

/**
 * Named checks run concurrently, each bounded by its timeout (a hung check
 * reports `unhealthy` for itself instead of hanging the report), aggregated:
 * any failing critical check → unhealthy; otherwise any non-healthy check →
 * degraded.
 */
export class HealthRegistry {
  readonly #checks = new Map<string, HealthCheck>();

  register(check: HealthCheck): this {
    if (this.#checks.has(check.name)) throw new DbrsError('ALREADY_EXISTS', `Health check "${check.name}" exists.`);
    this.#checks.set(check.name, check);
    return this;
  }

  unregister(name: string): void {
    this.#checks.delete(name);
  }

  get names(): string[] {
    return [...this.#checks.keys()];
  }

  async run(options: { signal?: AbortSignal; only?: string[] } = {}): Promise<HealthReport> {
    const selected = [...this.#checks.values()].filter((c) => !options.only || options.only.includes(c.name));
    const checks = await Promise.all(selected.map((c) => runOne(c, options.signal)));
    return { status: aggregate(checks), checks, generatedAt: new Date().toISOString() };
  }
}

export function aggregate(checks: ReadonlyArray<Pick<CheckResult, 'status' | 'critical'>>): HealthStatus {
  if (checks.some((c) => c.critical && c.status === 'unhealthy')) return 'unhealthy';
  if (checks.some((c) => c.status !== 'healthy')) return 'degraded';
  return 'healthy';
}

async function runOne(check: HealthCheck, outer: AbortSignal | undefined): Promise<CheckResult> {
  const critical = check.critical ?? true;
  const timeoutMs = check.timeoutMs ?? 5_000;
  const started = performance.now();
  try {
    const outcome =
      (await withTimeout({ what: `Health check "${check.name}"`, timeoutMs, signal: outer }, (signal) =>
        check.check(signal),
      )) ?? {};
    return {
      name: check.name,
      status: outcome.status ?? 'healthy',
      critical,
      durationMs: performance.now() - started,
      ...(outcome.message ? { message: redactString(outcome.message) } : {}),
      ...(outcome.details ? { details: outcome.details } : {}),
    };
  } catch (err) {
    return {
      name: check.name,
      status: 'unhealthy',
      critical,
      durationMs: performance.now() - started,
      message: redactString(errorMessage(err)),
    };
  }
}
