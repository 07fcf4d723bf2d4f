import { type Metrics, redactString } from '@voicehive/db-core';
import type pg from 'pg';
import type { TableInfo } from './catalog/catalog.js';
import type { CacheHitRatio } from './health/cache.js';
import type { StatementStats } from './monitor/statements.js';
import { normalizeSql } from './sql/parser.js';

/**
 * The package's Prometheus series (names from the original system, with the
 * registry's prefix, `voicehive_` by default). Per-query series are limited
 * to the top N query ids by total time so label cardinality stays bounded;
 * labels carry query ids; the one exception is `db_query_info`, whose `query`
 * label is the normalised, scrubbed text (literals as $n) so dashboards can
 * show a statement instead of a bare id.
 */
export class PerformanceMetrics {
  readonly #queryDuration;
  readonly #queryCalls;
  readonly #queryInfo;
  readonly #slowQueries;
  readonly #indexUsage;
  readonly #poolSize;
  readonly #cacheHit;
  readonly #topN: number;

  constructor(metrics: Metrics, topN: number) {
    this.#topN = topN;
    this.#queryDuration = metrics.gauge({
      name: 'db_query_duration_seconds',
      help: 'Mean execution time per statement (pg_stat_statements), top query ids by total time.',
      labelNames: ['queryid', 'stat'],
    });
    this.#queryCalls = metrics.gauge({
      name: 'db_query_calls',
      help: 'Calls per statement since the pg_stat_statements reset, top query ids by total time.',
      labelNames: ['queryid'],
    });
    this.#queryInfo = metrics.gauge({
      name: 'db_query_info',
      help: 'Normalised text (literals as $n, first 80 characters) of the query ids in db_query_duration_seconds; value 1. Join on queryid for readable legends.',
      labelNames: ['queryid', 'query'],
    });
    this.#slowQueries = metrics.counter({
      name: 'db_slow_queries_total',
      help: 'Slow statements detected (mean time over the warning or critical threshold).',
      labelNames: ['severity'],
    });
    this.#indexUsage = metrics.gauge({
      name: 'db_index_usage_ratio',
      help: 'idx_scan / (idx_scan + seq_scan) per table, top tables by rows read.',
      labelNames: ['table'],
    });
    this.#poolSize = metrics.gauge({
      name: 'db_connection_pool_size',
      help: 'Application pg.Pool clients by state.',
      labelNames: ['state'],
    });
    this.#cacheHit = metrics.gauge({
      name: 'db_cache_hit_ratio',
      help: 'shared_buffers hit ratio for user tables, user indexes and the database.',
      labelNames: ['kind'],
    });
  }

  recordStatements(stats: StatementStats[]): void {
    this.#queryDuration.reset();
    this.#queryCalls.reset();
    this.#queryInfo.reset();
    const top = [...stats].sort((a, b) => b.totalExecMs - a.totalExecMs).slice(0, this.#topN);
    for (const s of top) {
      this.#queryDuration.set({ queryid: s.queryid, stat: 'mean' }, s.meanExecMs / 1000);
      this.#queryDuration.set({ queryid: s.queryid, stat: 'max' }, s.maxExecMs / 1000);
      this.#queryCalls.set({ queryid: s.queryid }, s.calls);
      // Utility statements keep their literals in pg_stat_statements: normalise and scrub before a label.
      const text = redactString(normalizeSql(s.query)).replace(/\s+/g, ' ').trim();
      this.#queryInfo.set({ queryid: s.queryid, query: text.length > 80 ? `${text.slice(0, 79)}…` : text }, 1);
    }
  }

  slowQuery(severity: 'warning' | 'critical'): void {
    this.#slowQueries.inc({ severity });
  }

  recordIndexUsage(tables: TableInfo[]): void {
    this.#indexUsage.reset();
    const top = [...tables]
      .filter((t) => t.seqScan + t.idxScan > 0)
      .sort((a, b) => b.seqTupRead + b.idxScan - (a.seqTupRead + a.idxScan))
      .slice(0, this.#topN);
    for (const t of top) this.#indexUsage.set({ table: `${t.schema}.${t.name}` }, t.idxScan / (t.idxScan + t.seqScan));
  }

  recordPool(pool: pg.Pool): void {
    this.#poolSize.set({ state: 'total' }, pool.totalCount);
    this.#poolSize.set({ state: 'idle' }, pool.idleCount);
    this.#poolSize.set({ state: 'waiting' }, pool.waitingCount);
  }

  recordCache(c: CacheHitRatio): void {
    for (const kind of ['tables', 'indexes', 'database'] as const) {
      const v = c[kind];
      if (v !== null) this.#cacheHit.set({ kind }, v);
    }
  }
}
