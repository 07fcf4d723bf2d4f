/** Health of the whole suite or one part of it. */
import type { HealthStatus } from '@voicehive/db-core';
import { FEATURES } from '../components/feature-names.js';
import type { LiveSession } from '../insights/activity.js';
import type { ConnectionBreakdown } from '../insights/connections.js';
import type { ServerSetting } from '../insights/settings.js';
import type { TableMaintenance } from '../insights/tables.js';

/** Core's health scale, the same three words at every level of the status. */
export type { HealthStatus };

/** The parts `getComprehensiveStatus()` always reports, present or not. */
/** The database, then every feature (FEATURES, the one list). */
export const COMPONENT_NAMES = ['database', ...FEATURES] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

/**
 * `not_available`: the feature package is not wired into this build of the suite.
 * `disabled`: switched off by configuration. Neither counts against overall health.
 */
export type ComponentState = HealthStatus | 'not_available' | 'disabled';

export interface ComponentStatus {
  status: ComponentState;
  message?: string;
  details?: Record<string, unknown>;
  durationMs: number;
}

export type IssueSeverity = 'critical' | 'warning' | 'info';

/** Sections of the status page an issue links to (`#<section>`). */
export const PAGE_SECTIONS = [
  'overview',
  'queries',
  'live-queries',
  'space',
  'maintenance',
  'connections',
  'explain',
  'settings',
  'index-recommendations',
  'backups',
  'capacity',
  'migrations',
] as const;
export type PageSection = (typeof PAGE_SECTIONS)[number];

export interface StatusIssue {
  severity: IssueSeverity;
  component: ComponentName;
  message: string;
  /** What to do about it, in one sentence. */
  action: string;
  /** The statement that fixes it, when one does (DROP INDEX …, VACUUM …, SELECT pg_cancel_backend(…)). */
  sql?: string;
  /** Where the page shows the evidence. */
  section?: PageSection;
  /**
   * Orders issues of one severity, larger first: milliseconds of database time for statements,
   * seconds of age for sessions, bytes for space. Only comparable within one kind of issue.
   */
  impact?: number;
  /** Stable identity of the finding (`performance.unused-index:public.idx`), for deduplication and links. */
  key?: string;
  /**
   * The page that shows the whole statement the message cuts short, as a
   * path under the page's mount: `queries/<queryid>` or `sessions/<pid>`.
   */
  fullText?: string;
}

export interface ComprehensiveStatus {
  overallHealth: HealthStatus;
  components: Record<ComponentName, ComponentStatus>;
  issues: StatusIssue[];
  generatedAt: string;
}

export interface SlowQueryRow {
  /** Normalised text ($1 placeholders), never literal values. */
  query: string;
  calls: number;
  meanMs: number;
  totalMs: number;
}

export interface IndexRecommendationRow {
  table: string;
  columns: string[];
  priority: 1 | 2 | 3;
  createSql: string;
  estimatedCostReduction?: number;
  validated?: boolean;
}

export type VerificationState = 'passed' | 'failed' | 'unverified';

export interface BackupRow {
  backupId: string;
  database: string;
  type: string;
  createdAt: string;
  sizeBytes?: number;
  verification: VerificationState;
  verifiedAt?: string;
}

export interface ForecastPoint {
  t: string;
  v: number;
  lower: number;
  upper: number;
}

export interface CapacityChartData {
  /** What is plotted, e.g. "database size". */
  metric: string;
  /** Unit of `v`, e.g. "MB". */
  unit: string;
  history: Array<{ t: string; v: number }>;
  forecast: ForecastPoint[];
  limit?: number;
  daysUntilFull?: number | null;
  growthPerDay?: number;
  model?: string;
  /** Why there is no forecast, when there is none. */
  note?: string;
  /** Level shifts and trend changes the forecast found; `size` in `unit` (level) or `unit` per day (trend). */
  changePoints?: Array<{ t: string; kind: 'level' | 'trend'; size: number }>;
}

/** Everything the HTML status page shows. */
export interface StatusPageData {
  status: ComprehensiveStatus;
  slowQueries: SlowQueryRow[];
  indexRecommendations: IndexRecommendationRow[];
  backups: BackupRow[];
  capacity?: CapacityChartData;
  /** The PgHero-style sections (queries, live queries, space, maintenance, connections, settings). */
  sections?: PageSectionsData;
  /** Sections that could not be filled, with the reason shown instead. */
  unavailable?: Partial<
    Record<
      | 'slowQueries'
      | 'indexRecommendations'
      | 'backups'
      | 'capacity'
      | 'queries'
      | 'live'
      | 'space'
      | 'maintenance'
      | 'connections'
      | 'settings'
      | 'growth',
      string
    >
  >;
}

export interface QueryRow {
  queryHash: string;
  query: string;
  calls: number;
  rows: number;
  meanMs: number;
  totalMs: number;
  /** Share of the listed statements' total time. */
  share: number | null;
}

/** The PgHero-style sections of the page; each is absent when its source is not available. */
export interface PageSectionsData {
  queries?: { byTotal: QueryRow[]; byMean: QueryRow[]; statsSince: string | null };
  live?: LiveSession[];
  space?: {
    databaseBytes: number;
    /** Growth over the last 1, 7 and 30 days from the capacity sample store; null without history that old. */
    growth: Array<{ days: number; bytes: number | null }>;
    /** Growth over 1, 7 and 30 days from the capacity samples (tables the capacity task samples: the largest). */
    tables: Array<TableMaintenance & { growth?: Array<{ days: number; bytes: number | null }> }>;
    /** The largest indexes, with growth from the capacity samples (`index_bytes:*`) where they reach. */
    indexes?: Array<{
      schema: string;
      table: string;
      index: string;
      bytes: number;
      growth?: Array<{ days: number; bytes: number | null }>;
    }>;
    unusedIndexes: Array<{
      schema: string;
      index: string;
      sizeBytes: number;
      statsSince: string | null;
      dropSql: string;
    }>;
    duplicateIndexes: Array<{
      schema: string;
      index: string;
      kind: string;
      coveredBy: string;
      sizeBytes: number;
      dropSql: string;
    }>;
  };
  maintenance?: {
    tables: TableMaintenance[];
    sequences: Array<{
      schema: string;
      sequence: string;
      column: string | null;
      lastValue: number;
      maxValue: number;
      usedRatio: number;
    }>;
    wraparound: { xidAge: number; xidRemaining: number } | null;
    bloat: Array<{ name: string; actualBytes: number; bloatBytes: number; bloatRatio: number }>;
  };
  connections?: ConnectionBreakdown & { pool?: { total: number; idle: number; waiting: number; max: number } };
  settings?: ServerSetting[];
}

/** The windows, in days, over which the page shows database and table growth (PgHero's 1/7/30). */
export const GROWTH_WINDOWS = [1, 7, 30] as const;
