import type { Logger, Metrics } from '@voicehive/db-core';
import type { AuthRateLimiter } from './rate-limit.js';

/** The handler's authentication counters (Prometheus). */
export interface AuthCounters {
  failures: ReturnType<Metrics['counter']>;
  lockouts: ReturnType<Metrics['counter']>;
  limited: ReturnType<Metrics['counter']>;
  evictions: ReturnType<Metrics['counter']>;
}

/**
 * Registers the counters up front, so the series exist (at 0) before the
 * first attack, and counts the limiter's early evictions. Undefined without
 * a registry.
 */
export function authCounters(
  metrics: Metrics | undefined,
  limiter: AuthRateLimiter | undefined,
): AuthCounters | undefined {
  if (!metrics) return undefined;
  const counters: AuthCounters = {
    failures: metrics.counter({
      name: 'dbrs_http_auth_failures_total',
      help: 'Refused API keys and page sign-ins, by method (api_key, sign_in).',
      labelNames: ['method'],
    }),
    lockouts: metrics.counter({
      name: 'dbrs_http_auth_lockouts_total',
      help: 'Client addresses locked out after too many failed authentication attempts.',
    }),
    limited: metrics.counter({
      name: 'dbrs_http_auth_rate_limited_total',
      help: 'Requests answered 429 because their address was locked out.',
    }),
    evictions: metrics.counter({
      name: 'dbrs_http_auth_limiter_evictions_total',
      help: 'Addresses the sign-in limiter forgot early because it tracks too many.',
    }),
  };
  counters.failures.inc({ method: 'api_key' }, 0);
  counters.failures.inc({ method: 'sign_in' }, 0);
  if (limiter) limiter.onEvict = () => counters.evictions.inc();
  return counters;
}

/**
 * Records a refused key; returns the lockout it started in ms (0: none).
 * The log line carries the address only, never the key or password tried.
 */
export function failureRecorder(parts: {
  counters: AuthCounters | undefined;
  limiter: AuthRateLimiter | undefined;
  logger: Logger;
}): (client: string, method: 'api_key' | 'sign_in') => number {
  const { counters, limiter, logger } = parts;
  return (client, method) => {
    counters?.failures.inc({ method });
    if (!limiter) return 0;
    const { lockedForMs, level } = limiter.recordFailure(client);
    if (lockedForMs > 0) {
      counters?.lockouts.inc();
      logger.warn(
        { event: 'auth_lockout', client, method, lockoutMs: lockedForMs, lockoutsInARow: level },
        'too many failed authentication attempts; address locked out',
      );
    }
    return lockedForMs;
  };
}
