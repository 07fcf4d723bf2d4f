import type { Database } from '../database/database.js';
import type { HealthCheck } from './health-registry.js';

export interface DatabaseCheckOptions {
  name?: string;
  /** Default 3,000 ms. */
  timeoutMs?: number;
  /** Latency above this reports `degraded`. Default 1,000 ms. */
  slowMs?: number;
}

/** `SELECT 1` against the pool: unhealthy when unreachable, degraded when slow. */
export function databasePingCheck(db: Database<any>, options: DatabaseCheckOptions = {}): HealthCheck {
  const slowMs = options.slowMs ?? 1_000;
  return {
    name: options.name ?? 'database',
    critical: true,
    timeoutMs: options.timeoutMs ?? 3_000,
    async check(signal) {
      const latencyMs = await db.ping({ signal });
      return {
        status: latencyMs > slowMs ? 'degraded' : 'healthy',
        details: { latencyMs: Math.round(latencyMs * 10) / 10, host: db.info.host, port: db.info.port },
      };
    },
  };
}
