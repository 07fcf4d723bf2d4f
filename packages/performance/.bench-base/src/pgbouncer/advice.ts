import type { PgBouncerSnapshot } from './admin.js';

export interface PoolAdvice {
  database: string;
  user: string;
  currentPoolSize: number;
  suggestedPoolSize: number;
  action: 'increase' | 'decrease' | 'keep';
  reason: string;
}

export interface PoolAdviceOptions {
  /** A client waiting longer than this (seconds) means the pool is too small. Default 1. */
  maxWaitSeconds?: number;
  /** Never suggest more server connections per pool than this. Default 100. */
  maxPoolSize?: number;
}

/**
 * Pool sizing from what PgBouncer observed: waiting clients or a long
 * maxwait mean the pool is too small (or the queries too slow: the advice
 * says which numbers it saw); many idle servers with nobody waiting mean it
 * is larger than the load needs.
 */
export function advisePoolSizes(snapshot: PgBouncerSnapshot, options: PoolAdviceOptions = {}): PoolAdvice[] {
  const maxWait = options.maxWaitSeconds ?? 1;
  const cap = options.maxPoolSize ?? 100;
  const fallback = Number(snapshot.config['default_pool_size'] ?? 20);
  const out: PoolAdvice[] = [];
  for (const p of snapshot.pools) {
    if (p.database === 'pgbouncer') continue;
    const current = snapshot.poolSizes[p.database] || fallback;
    const busy = p.svActive + p.svUsed;
    if (p.clWaiting > 0 || p.maxwaitSeconds >= maxWait) {
      const suggested = Math.min(cap, current + Math.max(p.clWaiting, Math.ceil(current * 0.25)));
      out.push({
        database: p.database,
        user: p.user,
        currentPoolSize: current,
        suggestedPoolSize: suggested,
        action: suggested > current ? 'increase' : 'keep',
        reason: `${p.clWaiting} client(s) waiting, oldest for ${p.maxwaitSeconds.toFixed(2)} s, with ${p.svActive} of ${current} server connections active. If queries are slow, fix them first: a bigger pool only moves the queue into PostgreSQL.`,
      });
    } else if (p.svIdle > current / 2 && busy < current / 4 && current > 5) {
      const suggested = Math.max(5, Math.ceil(Math.max(busy, 1) * 2));
      out.push({
        database: p.database,
        user: p.user,
        currentPoolSize: current,
        suggestedPoolSize: suggested,
        action: suggested < current ? 'decrease' : 'keep',
        reason: `${p.svIdle} idle server connections and nobody waiting: the pool is larger than the load needs.`,
      });
    } else {
      out.push({
        database: p.database,
        user: p.user,
        currentPoolSize: current,
        suggestedPoolSize: current,
        action: 'keep',
        reason: 'No waiting clients and few idle servers.',
      });
    }
  }
  return out;
}
