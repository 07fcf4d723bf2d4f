import type { Metrics } from '@voicehive/db-core';
import type { LiveSession } from '../insights/activity.js';
import type { QueryDetail } from '../insights/query-history.js';
import type { ExplainRequest, ExplainResult } from '../operator/explain.js';
import type { ComprehensiveStatus, StatusPageData } from '../status/types.js';
import type { SuiteAction } from './actions.js';

/** What the handler serves; the suite satisfies it, and so can anything else with these members. */
export interface SuiteHandlerTarget {
  /** prom-client Registry (or anything with the same two members). */
  registry: { metrics(): Promise<string>; contentType: string };
  getComprehensiveStatus(options?: { signal?: AbortSignal }): Promise<ComprehensiveStatus>;
  /** Database reachable? Drives `/ready`. */
  checkReady(options?: { signal?: AbortSignal }): Promise<{ ready: boolean; message?: string }>;
  /** Data for the HTML page; without it the page shows the status only. */
  getStatusPageData?(options?: { signal?: AbortSignal }): Promise<StatusPageData>;
  /** Operator actions offered on the page, by id. */
  actions?: Record<string, SuiteAction>;
  /** One statement's page (`GET /queries/<queryid>`): full text and stored history; without it, no such page. */
  getQueryDetail?(queryHash: string, options?: { signal?: AbortSignal }): Promise<QueryDetail | undefined>;
  /** One live session's page (`GET /sessions/<pid>`): its whole statement; without it, no such page. */
  getLiveSession?(pid: number, options?: { signal?: AbortSignal }): Promise<LiveSession | undefined>;
  /** The page's explain box; without it the box is not offered. */
  explain?(request: ExplainRequest): Promise<ExplainResult>;
  /** Whether the explain box offers ANALYZE (`performance.allowExplainAnalyze`). Default false. */
  readonly explainAnalyzeAllowed?: boolean;
  /** Where the handler's own counters go when `options.metrics` is not given; the suite has one. */
  metrics?: Metrics;
}

/** The handler's route groups, each switched on or off by `routes`. */
export type SuiteRoute = 'metrics' | 'health' | 'ready' | 'status' | 'page';
